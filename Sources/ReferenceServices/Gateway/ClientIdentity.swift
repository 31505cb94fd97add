import Foundation
/// Who a request comes from, for sticky routing, from what no client can choose: the subject of
/// a token the gateway verified, else the client's address — the TCP peer's, or, when the peer
/// is a proxy the operator trusts (`TRUSTED_PROXIES`), the last address in `X-Forwarded-For`
/// that no trusted proxy added. An unverified token or a header from anyone else would let a
/// client pick its side of the rollout.
struct ClientIdentity: Sendable {
    let signer: JWTSigner
    let trustedProxies: TrustedProxies

    func key(authorization: String?, forwardedFor: String?, peer: String?) -> String {
        if let authorization, authorization.lowercased().hasPrefix("bearer "),
           let claims = try? signer.verify(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)) {
            return "user:" + claims.sub
        }
        return "addr:" + address(forwardedFor: forwardedFor, peer: peer)
    }

    /// The client's address: walking `X-Forwarded-For` back from the peer while each hop is trusted.
    func address(forwardedFor: String?, peer: String?) -> String {
        guard var current = peer else { return "unknown" }
        let hops = (forwardedFor ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in hops.reversed() {
            guard trustedProxies.contains(current) else { break }
            current = hop
        }
        return current
    }
}

/// The proxies whose `X-Forwarded-For` the gateway believes: addresses and IPv4 ranges
/// (`10.0.0.0/8`), as `TRUSTED_PROXIES` lists them (comma-separated). None by default.
package struct TrustedProxies: Sendable, Equatable {
    private struct Range: Sendable, Equatable {
        let base: UInt32, mask: UInt32
    }
    private var addresses: Set<String> = []
    private var ranges: [Range] = []

    package init() {}

    /// Reads `list`; nil when an entry is neither an address nor an IPv4 range.
    package init?(parsing list: String) {
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if let slash = entry.firstIndex(of: "/") {
                guard let base = Self.ipv4(String(entry[..<slash])), let bits = Int(entry[entry.index(after: slash)...]), (0...32).contains(bits) else { return nil }
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
                ranges.append(Range(base: base & mask, mask: mask))
            } else if Self.ipv4(entry) != nil || entry.contains(":") {
                addresses.insert(entry)
            } else {
                return nil
            }
        }
    }

    func contains(_ address: String) -> Bool {
        if addresses.contains(address) { return true }
        guard let value = Self.ipv4(address) else { return false }
        return ranges.contains { value & $0.mask == $0.base }
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard part.count <= 3, let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
