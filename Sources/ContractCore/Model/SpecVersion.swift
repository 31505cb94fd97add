import Foundation

/// A version of the Pact specification.
public enum SpecVersion: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case v1 = 10, v1_1 = 11, v2 = 20, v3 = 30, v4 = 40

    /// Reads "1", "1.1", "2.0.0", "3.0.0", "4.0" and the like.
    public init?(string: String) {
        let parts = string.trimmingCharacters(in: .whitespaces).split(separator: ".").map(String.init)
        guard let major = parts.first.flatMap({ Int($0) }) else { return nil }
        let minor = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        switch (major, minor) {
        case (1, 0): self = .v1
        case (1, _): self = .v1_1
        case (2, _): self = .v2
        case (3, _): self = .v3
        case (4, _): self = .v4
        default: return nil
        }
    }

    public static func < (lhs: SpecVersion, rhs: SpecVersion) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The version string written into `metadata.pactSpecification.version`.
    public var versionString: String {
        switch self {
        case .v1: return "1.0.0"
        case .v1_1: return "1.1.0"
        case .v2: return "2.0.0"
        case .v3: return "3.0.0"
        case .v4: return "4.0"
        }
    }

    public var description: String { "v" + versionString }
}
