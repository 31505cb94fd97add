/// Limits on figures read back from a result file, so a hostile or corrupt file is an error
/// naming the field — never a trap in a merge (counts that overflow when added), a chart
/// (lengths of -1e308) or a loop (an interval of 0).
enum DecodedFigures {
    /// The largest count a file may hold (2^53): a thousand shards of it still add without overflow.
    static let maximumCount = 1 << 53
    /// The longest span in seconds (366 days), as durations everywhere.
    static let maximumSeconds = 366.0 * 86_400

    static func count<K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) throws -> Int {
        try check(container.decode(Int.self, forKey: key), container, key)
    }

    static func check<K: CodingKey>(_ value: Int, _ container: KeyedDecodingContainer<K>, _ key: K) throws -> Int {
        guard (0...maximumCount).contains(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.stringValue) must be a count from 0 to 2^53 (found \(value))")
        }
        return value
    }

    /// Checks that `values` (each already a count) add up to at most 2^53: figures that are added
    /// together later (a time series coarsened, check tallies summed) must not overflow there.
    static func total<K: CodingKey>(_ values: some Sequence<Int>, _ container: KeyedDecodingContainer<K>, _ key: K, what: String) throws {
        var total = 0
        for value in values {
            total += value
            guard total <= maximumCount else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.stringValue): the \(what) add up to more than 2^53")
            }
        }
    }

    static func seconds<K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) throws -> Double {
        let value = try container.decode(Double.self, forKey: key)
        guard value.isFinite, (0...maximumSeconds).contains(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.stringValue) must be seconds from 0 to 366 days (found \(value))")
        }
        return value
    }
}
