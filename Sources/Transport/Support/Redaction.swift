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

    /// Endings that make a parameter name a credential's (`api_token`, `private_token`,
    /// `auth_token`, `client-secret`, `db_password`, `x_api_key`).
    static let credentialSuffixes = ["token", "secret", "password", "passwd", "_key", "apikey", "credential", "credentials", "signature"]

    static func isCredential(_ name: String) -> Bool {
        let normal = name.lowercased().replacingOccurrences(of: "-", with: "_")
        return credentialParameters.contains(normal) || credentialParameters.contains(name.lowercased())
            || credentialSuffixes.contains { normal.hasSuffix($0) }
    }

    /// Text from outside (an error body that echoes the request, a library's message) with
    /// every secret the run knows (`secrets`: tokens, header values, a URL's credentials)
    /// replaced by `***`, and what looks like one whatever it is: an `Authorization` scheme's
    /// credential (`Bearer …`, `Basic …`) and credential query parameters of URLs in it.
    public static func text(_ text: String, secrets: [String]) -> String {
        var out = text
        var known: [String] = []
        for secret in secrets {
            known.append(secret)
            // A header value `Bearer xyz`: the credential alone may be echoed too.
            if let space = secret.firstIndex(of: " ") { known.append(String(secret[secret.index(after: space)...]).trimmingCharacters(in: .whitespaces)) }
        }
        for secret in known.filter({ $0.count >= 4 }).sorted(by: { $0.count > $1.count }) {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        out = out.replacingOccurrences(of: #"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"#, with: "$1***", options: .regularExpression)
        out = out.replacingOccurrences(of: #"(?i)\b(basic\s+)[A-Za-z0-9+/]{8,}={0,2}"#, with: "$1***", options: .regularExpression)
        // Query parameters of URLs in the text: the value goes when the name is a credential's.
        let matches = queryParameter.matches(in: out, range: NSRange(out.startIndex..., in: out))
        for match in matches.reversed() {
            guard let nameRange = Range(match.range(at: 1), in: out), let valueRange = Range(match.range(at: 2), in: out) else { continue }
            let name = String(out[nameRange])
            if isCredential(name.removingPercentEncoding ?? name) { out.replaceSubrange(valueRange, with: "***") }
        }
        return out
    }

    /// `?name=value` or `&name=value` in running text.
    private static let queryParameter = try! NSRegularExpression(pattern: #"[?&;]([A-Za-z0-9_.~%-]+)=([^&\s"'#<>]+)"#)

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
