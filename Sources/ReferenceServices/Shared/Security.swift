package import Foundation
import HTTPTypes
import Transport
import TransportCrypto

/// The claims of the services' HS256 JWTs.
package struct TokenClaims: Codable, Sendable, Equatable {
    package var sub: String
    package var email: String
    package var role: String
    package var iat: Int
    package var exp: Int

    package init(sub: String, email: String, role: String, iat: Int, exp: Int) {
        self.sub = sub
        self.email = email
        self.role = role
        self.iat = iat
        self.exp = exp
    }
}

/// Signs and verifies HS256 JSON Web Tokens.
package struct JWTSigner: Sendable {
    let secret: [UInt8]

    package init(secret: String) { self.secret = Array(secret.utf8) }

    /// The example secret the documentation shows; accepted, with a warning, never a default.
    package static let documentedExample = "tollgate-reference-secret"

    /// A fresh random secret (256 bits, base64url), for runs that were given none.
    package static func randomSecret() -> String {
        Data(Crypto.randomBytes(32)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A token for one service to call another's internal operations (`role: service`).
    package func serviceToken(for service: String, lifetime: TimeInterval = 3600, now: Date = Date()) -> String {
        let issued = Int(now.timeIntervalSince1970)
        return sign(TokenClaims(sub: "service:" + service, email: "", role: Role.service, iat: issued, exp: issued + Int(lifetime)))
    }

    /// An admin token (for `PUT /admin/…` and the operator's scripts).
    package func adminToken(subject: String, email: String, lifetime: TimeInterval = 30 * 86400, now: Date = Date()) -> String {
        let issued = Int(now.timeIntervalSince1970)
        return sign(TokenClaims(sub: subject, email: email, role: Role.admin, iat: issued, exp: issued + Int(lifetime)))
    }

    package func sign(_ claims: TokenClaims) -> String {
        let header = base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = base64URL(Array((try? JSONEncoder().encode(claims)) ?? Data()))
        let signature = base64URL(Crypto.hmacSHA256(key: secret, message: Array("\(header).\(payload)".utf8)))
        return "\(header).\(payload).\(signature)"
    }

    /// The claims of a valid, unexpired token; throws `APIError` 401 otherwise.
    package func verify(_ token: String, now: Date = Date()) throws -> TokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = fromBase64URL(String(parts[0])), let payloadBytes = fromBase64URL(String(parts[1])),
              let signature = fromBase64URL(String(parts[2])) else {
            throw APIError(.unauthorized, "invalid_token", "the token is not a JWT")
        }
        guard let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any], header["alg"] as? String == "HS256" else {
            throw APIError(.unauthorized, "invalid_token", "only HS256 tokens are accepted")
        }
        let expected = Crypto.hmacSHA256(key: secret, message: Array("\(parts[0]).\(parts[1])".utf8))
        guard Crypto.constantTimeEqual(expected, signature) else {
            throw APIError(.unauthorized, "invalid_token", "the token signature is not valid")
        }
        guard let claims = try? JSONDecoder().decode(TokenClaims.self, from: Data(payloadBytes)) else {
            throw APIError(.unauthorized, "invalid_token", "the token claims are incomplete")
        }
        guard Double(claims.exp) > now.timeIntervalSince1970 else {
            throw APIError(.unauthorized, "token_expired", "the token has expired")
        }
        return claims
    }

    /// The claims of a token whose role is one of `roles`: 401 without a valid token, 403 with
    /// another role's.
    func claims(_ authorization: String?, requiring roles: Set<String>) throws -> TokenClaims {
        let claims = try claims(authorization)
        guard roles.contains(claims.role) else {
            throw APIError(.forbidden, "forbidden", "this needs the \(roles.sorted().joined(separator: " or ")) role")
        }
        return claims
    }

    /// The claims of the request's `Authorization: Bearer` token.
    func claims(_ authorization: String?) throws -> TokenClaims {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { throw APIError.unauthorized }
        return try verify(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces))
    }

    private func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private func fromBase64URL(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

/// The roles tokens carry.
package enum Role {
    package static let customer = "customer"
    package static let admin = "admin"
    /// Another reference service, for service-to-service operations.
    package static let service = "service"
    /// Who may call service-to-service operations: services, and operators with an admin token.
    static let internalCallers: Set<String> = [service, admin]
}

/// Password storage: PBKDF2-SHA256 with a random salt, `pbkdf2$iterations$salt$hash`.
package enum PasswordHasher {
    static let iterations = 20_000

    /// `hash` computed off the cooperative pool (PBKDF2 is deliberately slow).
    package static func hashOffPool(_ password: String) async -> String {
        await BlockingWork.compute { hash(password) }
    }

    /// `verify` computed off the cooperative pool.
    package static func verifyOffPool(_ password: String, against stored: String) async -> Bool {
        await BlockingWork.compute { verify(password, against: stored) }
    }

    package static func hash(_ password: String) -> String {
        let salt = Crypto.randomBytes(16)
        let hash = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: salt, iterations: iterations)
        return "pbkdf2$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    package static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2", let iterations = Int(parts[1]),
              let salt = Data(base64Encoded: parts[2]), let hash = Data(base64Encoded: parts[3]) else { return false }
        let candidate = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: Array(salt), iterations: iterations, length: hash.count)
        return Crypto.constantTimeEqual(candidate, Array(hash))
    }
}
