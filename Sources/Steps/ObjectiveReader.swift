package import SLO
package import Yams

/// `slos:` as profiles and gate files write it: each objective an expression
/// (`p95<=500ms:reduce`) or `{expression, action, abort_on_fail, abort_after}`.
extension NodeReader {
    package mutating func objectives(_ node: Node?) -> [Objective]? {
        guard let items = sequence(node, "slos") else { return nil }
        var objectives: [Objective] = []
        for (index, item) in items.enumerated() {
            let here = "slos[\(index)]"
            var expression: String?
            var action: String?
            var abortOnFail = false
            var abortAfter = 0.0
            if case .scalar = item {
                expression = item.string
            } else if let entries = mapping(item, here, allowed: ["expression", "action", "abort_on_fail", "abort_after"]) {
                let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
                expression = string(fields["expression"], here + ".expression")
                if fields["expression"] == nil { problem(item, here, "an objective needs an 'expression'") }
                action = string(fields["action"], here + ".action")
                abortOnFail = fields["abort_on_fail"].flatMap { bool($0, here + ".abort_on_fail") } ?? false
                abortAfter = fields["abort_after"].flatMap { duration($0, here + ".abort_after") } ?? 0
            }
            guard let expression else { continue }
            do {
                var objective = try Objective(parsing: action.map { "\(expression):\($0)" } ?? expression)
                objective.abortOnFail = abortOnFail
                objective.abortAfter = abortAfter
                objectives.append(objective)
            } catch let error as ObjectiveError {
                problem(item, here, error.reason)
            } catch {
                problem(item, here, "\(error)")
            }
        }
        return objectives
    }
}
