/// Compares an actual JSON document with an expected one under body matching rules.
struct JSONBodyMatcher {
    let rules: BodyRules
    /// Responses and messages allow keys the contract does not mention; requests do not.
    let allowUnexpectedKeys: Bool
    let kind: Mismatch.Kind
    private(set) var mismatches: [Mismatch] = []

    init(rules: BodyRules, allowUnexpectedKeys: Bool, kind: Mismatch.Kind = .body) {
        self.rules = rules
        self.allowUnexpectedKeys = allowUnexpectedKeys
        self.kind = kind
    }

    static func match(expected: JSONValue, actual: JSONValue, rules: BodyRules, allowUnexpectedKeys: Bool, kind: Mismatch.Kind = .body) -> [Mismatch] {
        var matcher = JSONBodyMatcher(rules: rules, allowUnexpectedKeys: allowUnexpectedKeys, kind: kind)
        matcher.compare(.root, expected, actual)
        return matcher.mismatches
    }

    private mutating func fail(_ path: DocumentPath, _ expected: JSONValue?, _ actual: JSONValue?, _ message: String) {
        mismatches.append(Mismatch(kind: kind, path: path.description,
                                   expected: expected.map(JSONWriter.compact), actual: actual.map(JSONWriter.compact),
                                   message: message))
    }

    mutating func compare(_ path: DocumentPath, _ expected: JSONValue, _ actual: JSONValue) {
        switch (expected, actual) {
        case let (.object(e), .object(a)): compareObjects(path, e, a)
        case let (.array(e), .array(a)): compareArrays(path, e, a)
        case (.object, _), (.array, _):
            if rules.isDefined(at: path) {
                compareValues(path, expected, actual)
            } else {
                fail(path, expected, actual, "Type mismatch: expected \(expected.typeName) \(short(expected)) but received \(actual.typeName) \(short(actual))")
            }
        default: compareValues(path, expected, actual)
        }
    }

    private func short(_ value: JSONValue) -> String {
        let text = JSONWriter.compact(value)
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    mutating func compareValues(_ path: DocumentPath, _ expected: JSONValue, _ actual: JSONValue) {
        if let (list, _) = rules.best(for: path) {
            if let reason = RuleCheck.combine(list, expected: .json(expected), actual: .json(actual)) {
                fail(path, expected, actual, reason)
            }
        } else if expected != actual {
            fail(path, expected, actual, "Expected \(short(expected)) (\(expected.typeName)) but received \(short(actual)) (\(actual.typeName))")
        }
    }

    // MARK: objects

    mutating func compareObjects(_ path: DocumentPath, _ expected: JSONObject, _ actual: JSONObject) {
        guard let (list, cascaded) = rules.best(for: path) else {
            if expected.isEmpty && !actual.isEmpty && !allowUnexpectedKeys {
                fail(path, .object(expected), .object(actual), "Expected an empty object but received keys \(actual.keys.map { "'\($0)'" }.joined(separator: ", "))")
                return
            }
            matchKeys(path, expected, actual)
            compareEntries(path, expected, actual)
            return
        }
        var comparedEntries = false
        for rule in list.rules {
            switch rule {
            case .values:
                compareEachValue(path, expected, actual, inner: nil)
                comparedEntries = true
            case .eachValue(let inner):
                compareEachValue(path, expected, actual, inner: inner)
                comparedEntries = true
            case .eachKey(let inner):
                for key in actual.keys {
                    if let reason = RuleCheck.combine(inner, expected: .text(key), actual: .text(key)) {
                        fail(path.appending(field: key), nil, .string(key), "Key '\(key)': \(reason)")
                    }
                }
            case .notEmpty where !cascaded && actual.isEmpty:
                fail(path, .object(expected), .object(actual), "Expected a non-empty object")
            case .equality where !cascaded:
                if expected != actual { fail(path, .object(expected), .object(actual), "Expected \(short(.object(expected))) to equal \(short(.object(actual)))") }
                comparedEntries = true
            case .type, .minType, .maxType, .minMaxType, .notEmpty, .equality: break
            default:
                if !cascaded, let reason = RuleCheck.check(rule, expected: .json(.object(expected)), actual: .json(.object(actual))) {
                    fail(path, .object(expected), .object(actual), reason)
                    comparedEntries = true
                }
            }
        }
        if !comparedEntries {
            matchKeys(path, expected, actual)
            compareEntries(path, expected, actual)
        }
    }

    private mutating func compareEntries(_ path: DocumentPath, _ expected: JSONObject, _ actual: JSONObject) {
        for (key, value) in expected {
            if let actualValue = actual[key] { compare(path.appending(field: key), value, actualValue) }
        }
    }

    /// Every actual value is compared with the first expected value (keys are free).
    private mutating func compareEachValue(_ path: DocumentPath, _ expected: JSONObject, _ actual: JSONObject, inner: RuleList?) {
        guard let example = expected.first?.value else { return }
        for (key, value) in actual {
            let child = path.appending(field: key)
            if let inner, let reason = RuleCheck.combine(inner, expected: .json(example), actual: .json(value)), !inner.rules.contains(where: { $0.isStructural }) {
                fail(child, example, value, reason)
            } else {
                compare(child, example, value)
            }
        }
    }

    private mutating func matchKeys(_ path: DocumentPath, _ expected: JSONObject, _ actual: JSONObject) {
        for key in expected.keys where !actual.contains(key) {
            fail(path.appending(field: key), expected[key], nil, "Expected key '\(key)' but it was missing")
        }
        if !allowUnexpectedKeys {
            for key in actual.keys where !expected.contains(key) {
                fail(path.appending(field: key), nil, actual[key], "Unexpected key '\(key)' (the contract does not allow keys it does not list in a request)")
            }
        }
    }

    // MARK: arrays

    mutating func compareArrays(_ path: DocumentPath, _ expected: [JSONValue], _ actual: [JSONValue]) {
        guard let (list, cascaded) = rules.best(for: path) else {
            if expected.isEmpty && !actual.isEmpty {
                fail(path, .array(expected), .array(actual), "Expected an empty array but received \(actual.count) element(s)")
                return
            }
            compareElementsPairwise(path, expected, actual)
            if expected.count != actual.count {
                fail(path, .array(expected), .array(actual), "Expected an array of \(expected.count) element(s) but received \(actual.count)")
            }
            return
        }
        var eachLike = false
        for rule in list.rules {
            switch rule {
            case .minType(let min) where !cascaded && actual.count < min:
                fail(path, .array(expected), .array(actual), "Expected at least \(min) element(s) but received \(actual.count)")
            case .maxType(let max) where !cascaded && actual.count > max:
                fail(path, .array(expected), .array(actual), "Expected at most \(max) element(s) but received \(actual.count)")
            case .minMaxType(let min, let max) where !cascaded && (actual.count < min || actual.count > max):
                fail(path, .array(expected), .array(actual), "Expected between \(min) and \(max) element(s) but received \(actual.count)")
            case .notEmpty where actual.isEmpty:
                fail(path, .array(expected), .array(actual), "Expected a non-empty array")
            case .arrayContains(let variants):
                compareArrayContains(path, expected, actual, variants)
            case .eachValue(let inner) where !inner.rules.contains(where: \.isStructural):
                guard let example = expected.first else { continue }
                for (i, value) in actual.enumerated() {
                    if let reason = RuleCheck.combine(inner, expected: .json(example), actual: .json(value)) {
                        fail(path.appending(index: i), example, value, reason)
                    }
                }
            case .equality where !cascaded:
                if expected != actual {
                    fail(path, .array(expected), .array(actual), "Expected \(short(.array(expected))) but received \(short(.array(actual)))")
                }
            case .type, .minType, .maxType, .minMaxType, .values, .notEmpty, .eachValue:
                eachLike = true
            default:
                if cascaded {
                    eachLike = true
                } else if let reason = RuleCheck.check(rule, expected: .json(.array(expected)), actual: .json(.array(actual))) {
                    fail(path, .array(expected), .array(actual), reason)
                }
            }
        }
        if eachLike, let example = expected.first {
            for (i, value) in actual.enumerated() { compare(path.appending(index: i), example, value) }
        }
    }

    private mutating func compareElementsPairwise(_ path: DocumentPath, _ expected: [JSONValue], _ actual: [JSONValue]) {
        for (i, value) in expected.enumerated() {
            let child = path.appending(index: i)
            if i < actual.count {
                compare(child, value, actual[i])
            } else if !rules.isDefined(at: child) {
                fail(child, value, nil, "Expected \(short(value)) but the element was missing")
            }
        }
    }

    /// Each variant must match at least one actual element, under the variant's own rules.
    private mutating func compareArrayContains(_ path: DocumentPath, _ expected: [JSONValue], _ actual: [JSONValue], _ variants: [ArrayContainsVariant]) {
        for variant in variants {
            guard variant.index < expected.count else {
                fail(path, .array(expected), .array(actual), "arrayContains variant \(variant.index) has no example element in the contract")
                continue
            }
            let example = expected[variant.index]
            let found = actual.contains { element in
                JSONBodyMatcher.match(expected: example, actual: element, rules: variant.rules, allowUnexpectedKeys: allowUnexpectedKeys).isEmpty
            }
            if !found {
                fail(path, example, .array(actual), "Expected the array to contain an element matching \(short(example)) (variant \(variant.index)) but none did")
            }
        }
    }
}

extension MatchingRule {
    /// Rules about a collection's shape rather than a single value.
    var isStructural: Bool {
        switch self {
        case .type, .minType, .maxType, .minMaxType, .values, .eachValue, .eachKey, .arrayContains: return true
        default: return false
        }
    }
}
