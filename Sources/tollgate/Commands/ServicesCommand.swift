import ArgumentParser
import Foundation
import ReferenceServices

/// `tollgate services up|run NAME|token`: the reference services under test.
struct ServicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "services",
        abstract: "Run the reference services (user, catalog, order, payment, payment provider, API gateway).",
        subcommands: [ServicesUpCommand.self, ServicesRunCommand.self, ServicesTokenCommand.self])
}

func env(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}

/// A secret anyone can read in the README is no secret: say so.
func warnAboutSecret(_ secret: String?) {
    guard let secret else { return }
    if secret == JWTSigner.documentedExample {
        FileHandle.standardError.write(Data("warning: JWT_SECRET is the documented example; anyone can sign tokens for these services\n".utf8))
    } else if secret.utf8.count < 16 {
        FileHandle.standardError.write(Data("warning: JWT_SECRET is shorter than 16 bytes; tokens are easy to forge\n".utf8))
    }
}

/// `5 s`, `0.5 s`.
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
}
