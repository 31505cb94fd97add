/// The endpoint a request belongs to, as a pattern: `GET /api/v1/products/{id}`. Segments that
/// name one record (numbers, UUIDs, long hex) are replaced, so what is learned about one product
/// holds for every product. The query is left out.
package enum EndpointPattern {
    package static func of(method: String, path: String) -> String {
        let bare = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        let segments = bare.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            if !segment.isEmpty, segment.allSatisfy(\.isNumber) { return "{id}" }
            if isUUID(segment) { return "{uuid}" }
            if segment.count >= 16, segment.allSatisfy(\.isHexDigit) { return "{hex}" }
            return String(segment)
        }
        return "\(method.uppercased()) \(segments.joined(separator: "/"))"
    }

    static func isUUID(_ text: Substring) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
