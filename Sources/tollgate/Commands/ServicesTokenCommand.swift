import ArgumentParser
import Foundation
import ReferenceServices
import Steps

/// `tollgate services token`: an operator mints a short-lived admin token on purpose, signed with
/// the services' shared secret — the services themselves never print one.
struct ServicesTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a short-lived admin token for the reference services, signed with JWT_SECRET.",
        discussion: """
            For an operator or a CI job that moves the rollout or reads the exports: the secret comes \
            from the environment (JWT_SECRET) or a file (--jwt-secret-file, e.g. a mounted Secret), \
            never from a flag. Only the token is printed, on standard output. Exit status: 0 printed, 2 no secret or a wrong flag.
            """)

    @Option(help: "How long the token is valid: 30s, 15m, 1h (at most 30 days).") var lifetime = "1h"
    @Option(help: "Whose token it is (the token's subject, in the gateway's logs).") var subject = "operator"
    @Option(help: "A file holding the secret (trailing newline ignored), instead of JWT_SECRET.") var jwtSecretFile: String?

    /// The longest a minted token may live: as long as the services' own admin tokens.
    static let maximumLifetime = 30.0 * 86_400

    func validate() throws {
        guard let seconds = DurationText.seconds(lifetime), seconds >= 1, seconds <= Self.maximumLifetime else {
            throw ValidationError("--lifetime '\(lifetime)' must be a duration from 1s to 30 days (30s, 15m, 1h)")
        }
        guard !subject.isEmpty, subject.utf8.count <= 128, subject.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw ValidationError("--subject must be 1 to 128 printable characters")
        }
    }

    func run() throws {
        let secret: String
        if let jwtSecretFile {
            guard let data = FileManager.default.contents(atPath: jwtSecretFile), data.count <= 4096,
                  let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .newlines), !text.isEmpty else {
                FileHandle.standardError.write(Data("tollgate services token: error: --jwt-secret-file \(jwtSecretFile): unreadable, empty or over 4 KB\n".utf8))
                throw ExitCode(ExitStatus.error)
            }
            secret = text
        } else if let given = env("JWT_SECRET") {
            secret = given
        } else {
            FileHandle.standardError.write(Data("tollgate services token: error: no secret: set JWT_SECRET (the services' shared secret) or --jwt-secret-file\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        warnAboutSecret(secret)
        let seconds = DurationText.seconds(lifetime) ?? 3600
        print(JWTSigner(secret: secret).adminToken(subject: subject, email: "", lifetime: seconds))
    }
}
