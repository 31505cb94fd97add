/// Which part of a distributed run this process makes: `--shard i/N` runs 1/N of the load.
package struct Shard: Sendable, Equatable, Codable, CustomStringConvertible {
    /// 0-based.
    package let index: Int
    package let count: Int

    package static let whole = Shard(index: 0, count: 1)

    package init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Reads `i/N` with 1 ≤ i ≤ N ≤ 1000 (as users write it, 1-based).
    package init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1000, i >= 1, i <= n else { return nil }
        self.init(index: i - 1, count: n)
    }

    package var description: String { "\(index + 1)/\(count)" }

    /// This shard's share of `total` whole things (users, iterations): the remainder goes to the first shards.
    package func share(of total: Int) -> Int { total / count + (index < total % count ? 1 : 0) }

    /// This shard's share of a rate.
    package func share(of rate: Double) -> Double { rate / Double(count) }
}
