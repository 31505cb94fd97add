import Foundation

/// Keeps secrets out of what Tollgate prints and writes.
public enum Redaction {
    /// Query parameters whose values are credentials (compared without case; `-` and `_` alike).
    static let credentialParameters: Set<String> = [
        "password", "passwd", "pwd", "pass", "secret", "token", "access_token", "accesstoken", "refresh_token", "id_token", "api_key", "apikey",
        "key", "auth", "authorization", "client_secret", "sig", "signature", "sslpassword", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    ]

    /// `url` with any `user:password@` replaced by `***@` and the values of credential query
    /// parameters (`password=`, `access_token=`, …) by `***`. A password holding an unencoded
    /// `@` is removed whole: the authority ends at its last `@`.
    public static func url(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var out = String(url[..<scheme.upperBound])
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            out += "***" + String(rest[at..<authorityEnd])
        } else {
            out += String(rest[..<authorityEnd])
        }
        return out + query(String(rest[authorityEnd...]))
    }

    /// `?a=1&password=x#f` → `?a=1&password=***#f`.
    static func query(_ text: String) -> String {
        guard let question = text.firstIndex(of: "?") else { return text }
        let fragmentStart = text[question...].firstIndex(of: "#") ?? text.endIndex
        let pairs = text[text.index(after: question)..<fragmentStart].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals].removingPercentEncoding ?? String(pair[..<equals])
            return isCredential(name) ? String(pair[...equals]) + "***" : String(pair)
        }
        return String(text[...question]) + pairs.joined(separator: "&") + String(text[fragmentStart...])
    }

    static func isCredential(_ name: String) -> Bool {
        credentialParameters.contains(name.lowercased().replacingOccurrences(of: "-", with: "_"))
            || credentialParameters.contains(name.lowercased())
    }

    /// The secrets a URL carries: its password (and, for a password with an unencoded `@`, each
    /// piece a parser may have taken for a host), and the values of credential query parameters.
    public static func secrets(in url: String) -> [String] {
        guard let scheme = url.range(of: "://") else { return [] }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var secrets: [String] = []
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                let password = String(userInfo[userInfo.index(after: colon)...])
                secrets.append(password)
                secrets += password.split(separator: "@").map(String.init)
                if let decoded = password.removingPercentEncoding { secrets.append(decoded) }
            }
            // A parser that splits at the first '@' takes the rest of the user info for the host.
            if let first = userInfo.firstIndex(of: "@") { secrets.append(String(rest[rest.index(after: first)..<authorityEnd])) }
        }
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2, isCredential(parts[0].removingPercentEncoding ?? parts[0]) {
                    secrets.append(parts[1])
                    if let decoded = parts[1].removingPercentEncoding { secrets.append(decoded) }
                }
            }
        }
        return secrets.filter { $0.count >= 3 }.sorted { $0.count > $1.count }
    }

    /// `text` (an error from a library that was given `url`) with every secret of the URL replaced by `***`.
    public static func scrub(_ text: String, url: String) -> String {
        var out = text
        for secret in secrets(in: url) { out = out.replacingOccurrences(of: secret, with: "***") }
        return out
    }
}
