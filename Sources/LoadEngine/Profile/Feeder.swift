package import ContractCore
package import Foundation
import Steps
import Synchronization

/// Rows of test data (from CSV or JSON) handed to iterations: in turn, at random, or each row once.
package final class Feeder: Sendable {
    package enum Mode: String, Sendable, CaseIterable {
        case roundRobin = "round-robin"
        case random
        case unique
    }

    package let name: String
    package let mode: Mode
    package let columns: Set<String>
    let rows: [[String: JSONValue]]
    private let position = Mutex(0)

    package init(name: String, mode: Mode, rows: [[String: JSONValue]]) {
        self.name = name
        self.mode = mode
        self.rows = rows
        columns = Set(rows.flatMap(\.keys))
    }

    package var count: Int { rows.count }

    /// The next row; nil when a `unique` feeder has handed out every row (or there are none).
    package func next() -> [String: JSONValue]? {
        guard !rows.isEmpty else { return nil }
        switch mode {
        case .random: return rows.randomElement()
        case .roundRobin: return rows[position.withLock { p in defer { p = (p + 1) % rows.count }; return p }]
        case .unique:
            let index = position.withLock { p in defer { p += 1 }; return p }
            return index < rows.count ? rows[index] : nil
        }
    }

    /// The rows of shard i of N: every Nth row, so shards never share a `unique` row.
    func partitioned(_ shard: Shard) -> Feeder {
        guard shard.count > 1 else { return self }
        return Feeder(name: name, mode: mode, rows: rows.enumerated().filter { $0.offset % shard.count == shard.index }.map(\.element))
    }

    /// The largest feeder file.
    static let maximumBytes = 64 * 1024 * 1024

    /// At most `limit` bytes of `file`; more is an error (a device or pipe has no size to check first).
    static func read(_ file: URL, atMost limit: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw FeederError(file: file.path, reason: "larger than 64 MB") }
        return data
    }

    /// Reads a CSV file with a header row, or a JSON array of objects.
    package static func load(name: String, mode: Mode, file: URL) throws -> Feeder {
        // The size is checked before anything is read: a 2 GB (or sparse) file costs no memory.
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        guard size <= maximumBytes else { throw FeederError(file: file.path, reason: "larger than 64 MB") }
        let data = try Self.read(file, atMost: maximumBytes)
        if file.pathExtension.lowercased() == "json" {
            guard case .array(let items) = try JSONParser.parse(data) else { throw FeederError(file: file.path, reason: "expected a JSON array of objects") }
            var rows: [[String: JSONValue]] = []
            for (index, item) in items.enumerated() {
                guard case .object(let object) = item else { throw FeederError(file: file.path, reason: "item \(index) is not an object") }
                rows.append(Dictionary(object.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
            }
            return Feeder(name: name, mode: mode, rows: rows)
        }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first else { throw FeederError(file: file.path, reason: "empty: a CSV feeder needs a header row") }
        let names = CSV.fields(header)
        var rows: [[String: JSONValue]] = []
        for (number, line) in lines.dropFirst().enumerated() where !line.isEmpty {
            let fields = CSV.fields(line)
            guard fields.count == names.count else {
                throw FeederError(file: file.path, reason: "line \(number + 2) has \(fields.count) fields, the header \(names.count)")
            }
            rows.append(Dictionary(zip(names, fields.map(JSONValue.string)), uniquingKeysWith: { a, _ in a }))
        }
        return Feeder(name: name, mode: mode, rows: rows)
    }
}

package struct FeederError: Error, CustomStringConvertible {
    package let file: String
    package let reason: String
    package var description: String { "\(file): \(reason)" }
}

/// Splits one CSV line (RFC 4180 quoting; no newlines inside fields).
enum CSV {
    static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var characters = line.makeIterator()
        while let c = characters.next() {
            if quoted {
                if c == "\"" {
                    if let following = characters.next() {
                        if following == "\"" { field.append("\"") } else { quoted = false; if following == "," { fields.append(field); field = "" } else { field.append(following) } }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(field); field = ""
            } else if c != "\r" {
                field.append(c)
            }
        }
        fields.append(field)
        return fields
    }
}
