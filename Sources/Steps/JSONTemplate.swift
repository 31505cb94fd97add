package import ContractCore

/// A JSON body or expected value whose strings may hold placeholders. A string that is exactly
/// one variable (`"${product_id}"`) takes the variable's value with its JSON type.
package indirect enum JSONTemplate: Sendable, Equatable {
    case constant(JSONValue)
    case string(Template)
    case array([JSONTemplate])
    case object([(String, JSONTemplate)])

    package static func == (lhs: JSONTemplate, rhs: JSONTemplate) -> Bool {
        switch (lhs, rhs) {
        case (.constant(let a), .constant(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: return false
        }
    }

    /// Reads the placeholders of every string in `value`.
    package init(_ value: JSONValue) throws(TemplateError) {
        switch value {
        case .string(let text):
            let template = try Template(text)
            self = template.isConstant ? .constant(value) : .string(template)
        case .array(let items):
            var converted: [JSONTemplate] = []
            for item in items { converted.append(try JSONTemplate(item)) }
            self = converted.allSatisfy { if case .constant = $0 { return true } else { return false } } ? .constant(value) : .array(converted)
        case .object(let object):
            var converted: [(String, JSONTemplate)] = []
            for (key, item) in object { converted.append((key, try JSONTemplate(item))) }
            self = converted.allSatisfy { if case .constant = $0.1 { return true } else { return false } } ? .constant(value) : .object(converted)
        default:
            self = .constant(value)
        }
    }

    package var variables: [String] {
        switch self {
        case .constant: return []
        case .string(let template): return template.variables
        case .array(let items): return items.flatMap(\.variables)
        case .object(let fields): return fields.flatMap(\.1.variables)
        }
    }

    package func render(_ scope: inout RenderScope) -> JSONValue {
        switch self {
        case .constant(let value): return value
        case .string(let template):
            if let name = template.soleVariable, let value = scope.variables[name] { return value }
            let text = template.render(&scope)
            // `${random_int(1,300)}`, `${seq}`, `${vu}` and `${iteration}` alone are numbers.
            if template.isSoleNumber, let number = Int64(text) { return .integer(number) }
            return .string(text)
        case .array(let items):
            var rendered: [JSONValue] = []
            rendered.reserveCapacity(items.count)
            for item in items { rendered.append(item.render(&scope)) }
            return .array(rendered)
        case .object(let fields):
            var object = JSONObject()
            for (key, item) in fields { object[key] = item.render(&scope) }
            return .object(object)
        }
    }
}
