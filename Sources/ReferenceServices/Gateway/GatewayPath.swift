import Foundation
/// A request path as the gateway routes it: percent-encoded dots decoded and dot segments
/// resolved first, so `/api/v1/products/../../../metrics` is seen as `/metrics` — outside every
/// route — and never reaches a service's private endpoints. Paths that cannot be read one way
/// only (an encoded slash or backslash, a NUL, a climb above the root) are refused.
enum GatewayPath {
    /// The normalized path, or nil when the path is refused.
    static func normalize(_ raw: String) -> String? {
        guard raw.hasPrefix("/") else { return nil }
        let lowered = raw.lowercased()
        // An encoded slash, backslash or NUL means different paths to different parsers.
        for ambiguous in ["%2f", "%5c", "%00", "\\"] where lowered.contains(ambiguous) { return nil }
        let decodedDots = raw.replacingOccurrences(of: "%2e", with: ".").replacingOccurrences(of: "%2E", with: ".")
        var segments: [Substring] = []
        let parts = decodedDots.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in parts.enumerated() {
            switch segment {
            case ".": continue
            case "..":
                guard !segments.isEmpty else { return nil }
                segments.removeLast()
            case "" where index < parts.count - 1: continue  // "//" collapses; a trailing "/" stays
            default: segments.append(segment)
            }
        }
        return "/" + segments.joined(separator: "/")
    }
}
