import ContractCore
import Foundation
import Yams

/// Reads flow files (YAML): `name`, `description`, `target`, and `steps` — request steps as in
/// load profiles, and `expect_event` items.
package enum FlowLoader {
    static let topFields: Set<String> = ["name", "description", "target", "headers", "steps", "tls"]

    package static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Flow {
        try parse(try NodeReader.readText(file), file: file, environment: environment)
    }

    package static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws -> Flow {
        var reader = NodeReader(file: file)
        let (root, values) = try reader.document(text, environment: environment, allowed: topFields, empty: "the flow is empty")
        let name = reader.string(values["name"], "name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let description = reader.string(values["description"], "description") ?? ""
        let target = reader.string(values["target"], "target") ?? ""
        if !target.isEmpty, TargetURL(target) == nil { reader.problem(values["target"], "target", "not an http:// or https:// URL: '\(target)'") }
        let tls = reader.tlsSettings(values["tls"], "tls", directory: URL(fileURLWithPath: file).deletingLastPathComponent().path)
        let headers = reader.headers(values["headers"], "headers")
        var items: [Flow.Item] = []
        var defined = Set<String>()
        let list = reader.sequence(values["steps"], "steps") ?? []
        if values["steps"] == nil || list.isEmpty { reader.problem(values["steps"] ?? root, "steps", "a flow needs at least one step") }
        for (index, node) in list.enumerated() {
            let field = "steps[\(index)]"
            if case .mapping(let mapping) = node, mapping.keys.contains(where: { $0.string == "expect_event" }) {
                guard let expectation = reader.eventExpectation(node, field) else { continue }
                for variable in Set(expectation.match.flatMap(\.value.variables)).sorted() where !defined.contains(variable) {
                    reader.problem(node, field, "'${\(variable)}' is not captured by an earlier step")
                }
                for capture in expectation.captures { defined.insert(capture.variable) }
                items.append(.event(expectation))
                continue
            }
            guard let (step, complete) = reader.step(node, field, defaultHeaders: headers) else { continue }
            for variable in Set(step.variables).sorted() where !defined.contains(variable) {
                reader.problem(node, field, "'${\(variable)}' is not captured by an earlier step")
            }
            for capture in step.captures { defined.insert(capture.variable) }
            if complete { items.append(.request(step)) }
        }
        guard reader.problems.isEmpty else { throw FileProblems(problems: reader.problems) }
        return Flow(name: name, description: description, target: target, items: items, source: file, tls: tls)
    }
}

extension NodeReader {
    /// `expect_event: {topic, match: {PATH: VALUE}, within: 5s, name, capture}`.
    mutating func eventExpectation(_ node: Node, _ field: String) -> EventExpectation? {
        guard let outer = mapping(node, field, allowed: ["expect_event"]), let body = outer.first?.value else { return nil }
        let here = field + ".expect_event"
        guard let entries = mapping(body, here, allowed: ["name", "topic", "match", "within", "capture"]) else { return nil }
        let values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let before = problems.count
        let topic = string(values["topic"], here + ".topic") ?? ""
        if values["topic"] == nil { problem(body, here, "an event expectation needs a 'topic'") }
        if !topic.isEmpty, !topic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
            problem(values["topic"], here + ".topic", "'\(topic)' is not a Kafka topic name")
        }
        var match: [(path: PathExpression, value: JSONTemplate)] = []
        for (path, value) in mapping(values["match"], here + ".match") ?? [] {
            guard let expression = pathExpression(path, value, "\(here).match.\(path)"), let json = jsonValue(value, "\(here).match.\(path)") else { continue }
            do { match.append((expression, try JSONTemplate(json))) } catch { problem(value, "\(here).match.\(path)", error.reason) }
        }
        let within = values["within"].flatMap { duration($0, here + ".within") } ?? 5
        if within <= 0 || within > 600 { problem(values["within"], here + ".within", "must be between 0 and 10m") }
        let captures = self.captures(values["capture"], here + ".capture")
        guard problems.count == before else { return nil }
        let name = values["name"]?.string ?? "event \(topic)"
        return EventExpectation(name: name, topic: topic, match: match, within: within, captures: captures)
    }
}
