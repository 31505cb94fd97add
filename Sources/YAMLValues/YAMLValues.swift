package import ContractCore
package import Yams

/// YAML nodes as JSON values, as bodies in profiles and flows and OpenAPI documents written in
/// YAML are read: mappings with string keys, sequences, and scalars typed as YAML resolves a
/// plain one (quoted scalars stay strings). An alias is the value it names, counted again: a
/// budget bounds how many values one text may describe ("billion laughs" are refused, not built).
package enum YAMLValues {
    /// Why a node could not be read, and where.
    package struct Problem: Error {
        package let mark: Mark?
        /// The place as the caller writes places (`steps[0].body.items`, `#/paths/~1a`).
        package let path: String
        package let reason: String
    }

    /// How a child's place is written from its parent's.
    package struct PathStyle: Sendable {
        let key: @Sendable (String, String) -> String
        let index: @Sendable (String, Int) -> String

        package init(key: @escaping @Sendable (String, String) -> String, index: @escaping @Sendable (String, Int) -> String) {
            self.key = key
            self.index = index
        }
    }

    /// The JSON value of `node`, one value of `budget` spent per node; `exhausted` says why a
    /// text whose budget runs out is refused.
    package static func value(_ node: Node, at path: String, style: PathStyle, budget: inout Int, exhausted: String) throws(Problem) -> JSONValue {
        budget -= 1
        guard budget >= 0 else { throw Problem(mark: node.mark, path: path, reason: exhausted) }
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if node.null != nil { return .null }
                if let bool = node.bool { return .bool(bool) }
                if let integer = node.int { return .integer(Int64(integer)) }
                if let decimal = node.float, decimal.isFinite { return .decimal(decimal) }
            }
            return .string(scalar.string)
        case .sequence(let items):
            var array: [JSONValue] = []
            for (index, item) in items.enumerated() {
                array.append(try value(item, at: style.index(path, index), style: style, budget: &budget, exhausted: exhausted))
            }
            return .array(array)
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, child) in mapping {
                guard let name = key.string else { throw Problem(mark: key.mark, path: path, reason: "a mapping key must be a string") }
                object[name] = try value(child, at: style.key(path, name), style: style, budget: &budget, exhausted: exhausted)
            }
            return .object(object)
        case .alias:
            throw Problem(mark: node.mark, path: path, reason: "YAML aliases are not supported")
        }
    }
}
