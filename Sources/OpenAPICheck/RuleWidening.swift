import ContractCore

/// What a matching rule lets a value be, from the narrowest to the widest.
enum AdmittedValues: Comparable {
    /// The example itself (equality, or no rule).
    case example
    /// Strings matching a regex, timestamps in a format, versions: each also fits the example's checks.
    case pattern(String?)
    case integers
    case numbers
    /// Any value of the example's JSON type (`type`, `include`, `notEmpty`, `boolean`…).
    case anyOfType

    private var width: Int {
        switch self {
        case .example: return 0
        case .pattern: return 1
        case .integers: return 2
        case .numbers: return 3
        case .anyOfType: return 4
        }
    }

    static func < (lhs: AdmittedValues, rhs: AdmittedValues) -> Bool { lhs.width < rhs.width }

    /// What a list of rules admits: the narrowest of rules that must all hold, the widest of alternatives.
    init(_ list: RuleList, cascaded: Bool) {
        let each = list.rules.map { Self.admitted(by: $0, cascaded: cascaded) }
        self = (list.combine == .and ? each.min() : each.max()) ?? .example
    }

    private static func admitted(by rule: MatchingRule, cascaded: Bool) -> AdmittedValues {
        // Only type-like rules pass to the children of the value they are written for.
        if cascaded {
            switch rule {
            case .type, .minType, .maxType, .minMaxType, .values, .eachValue, .notEmpty: return .anyOfType
            default: return .example
            }
        }
        switch rule {
        case .type, .minType, .maxType, .minMaxType, .include, .notEmpty, .boolean, .values, .eachValue: return .anyOfType
        case .integer: return .integers
        case .decimal, .number: return .numbers
        case .regex(let pattern): return .pattern(pattern)
        case .timestamp, .date, .time, .semver: return .pattern(nil)
        default: return .example
        }
    }
}

extension SchemaCheck {
    /// What the consumer's matching rules at `path` mean against the schema: on a request, every
    /// value a rule lets the consumer send must be one the provider takes; on a response, a value
    /// the provider may send that the consumer's rule refuses is a problem.
    func widening(of value: JSONValue, view: [(node: JSONObject, place: DocumentPlace)], path: DocumentPath) -> [SchemaFinding] {
        guard let (list, cascaded) = rules(path) else { return [] }
        let admitted = AdmittedValues(list, cascaded: cascaded)
        var findings: [SchemaFinding] = []
        func note(_ severity: SchemaFinding.Severity, _ place: DocumentPlace, _ message: String, expected: String? = nil) {
            findings.append(SchemaFinding(severity: severity, path: path, place: place, message: message, expected: expected, actual: JSONWriter.compact(value)))
        }
        let ruleNames = list.rules.map(\.name).joined(separator: ", ")
        switch value {
        case .array(let items):
            arrayWidening(list, cascaded: cascaded, count: items.count, view: view, note: note)
        case .object:
            let anyKey = !cascaded && list.rules.contains { if case .values = $0 { return true }; if case .eachValue = $0 { return true }; if case .eachKey = $0 { return true }; return false }
            guard side == .request, anyKey else { break }
            for (node, place) in view where node["additionalProperties"] == .bool(false) {
                let allowed = node["properties"]?.objectValue?.keys.joined(separator: ", ") ?? "none"
                note(.error, place.appending("additionalProperties"),
                     "the consumer may send any key here (its \(ruleNames) rule); the provider allows only \(allowed)")
            }
        default:
            switch side {
            case .request: findings += requestLeaf(value, admitted, ruleNames: ruleNames, view: view, path: path)
            case .response: findings += responseLeaf(value, admitted, view: view, path: path)
            }
        }
        return findings
    }

    private func arrayWidening(_ list: RuleList, cascaded: Bool, count: Int, view: [(node: JSONObject, place: DocumentPlace)],
                               note: (SchemaFinding.Severity, DocumentPlace, String, String?) -> Void) {
        var bounds: (min: Int, max: Int?)?
        for rule in list.rules {
            switch rule {
            case .type, .values, .eachValue: bounds = (0, nil)
            case .notEmpty: bounds = (1, nil)
            case .minType(let low): bounds = (low, nil)
            case .maxType(let high): bounds = (0, high)
            case .minMaxType(let low, let high): bounds = (low, high)
            default: continue
            }
        }
        if cascaded { bounds = bounds.map { _ in (0, nil) } }
        guard let (low, high) = bounds else { return }
        for (node, place) in view {
            let minimum = node["minItems"]?.intValue ?? 0
            switch side {
            case .request:
                if minimum > low {
                    note(.error, place.appending("minItems"), "the consumer may send \(low) item(s) (its rule's minimum); the provider needs at least \(minimum)", nil)
                }
                if let maximum = node["maxItems"]?.intValue, high.map({ $0 > maximum }) ?? true {
                    note(.warning, place.appending("maxItems"),
                         "the consumer may send \(high.map { "up to \($0)" } ?? "any number of") items; the provider takes at most \(maximum)", nil)
                }
            case .response:
                if low > minimum {
                    note(.warning, place.appending("minItems"),
                         "the consumer wants at least \(low) item(s); the provider may send \(minimum == 0 ? "none" : "only \(minimum)")", nil)
                }
            }
        }
    }

    /// Strings any consumer under a `type` rule might send, to show a pattern or format refusing one.
    static let ordinaryStrings = ["a", "Z", "7", "x y", "a-b_c.d"]

    /// A value the consumer sends under a rule that admits more than the example.
    private func requestLeaf(_ value: JSONValue, _ admitted: AdmittedValues, ruleNames: String,
                             view: [(node: JSONObject, place: DocumentPlace)], path: DocumentPath) -> [SchemaFinding] {
        guard admitted != .example, value != .null else { return [] }
        var findings: [SchemaFinding] = []
        let rule = "its \(ruleNames) rule"
        func note(_ severity: SchemaFinding.Severity, _ place: DocumentPlace, _ message: String, expected: String? = nil) {
            findings.append(SchemaFinding(severity: severity, path: path, place: place, message: message, expected: expected, actual: JSONWriter.compact(value)))
        }
        let what: String
        switch value {
        case .string: what = "string"
        case .integer, .decimal: what = admitted == .integers ? "integer" : "number"
        case .bool: what = "boolean"
        default: what = value.typeName
        }
        for (node, place) in view {
            if let options = node["enum"]?.arrayValue, !regexStaysWithin(admitted, options) {
                note(.error, place.appending("enum"), "the consumer may send any \(admittedText(admitted, what)) (\(rule)); the provider takes only \(Self.shortList(options))",
                     expected: JSONWriter.compact(.array(options)))
            }
            if let constant = node["const"], !regexStaysWithin(admitted, [constant]) {
                note(.error, place.appending("const"), "the consumer may send any \(admittedText(admitted, what)) (\(rule)); the provider takes only \(Self.short(constant))")
            }
            if case .pattern(let regex) = admitted {
                if let regex, case .string = value { findings += regexWidening(regex, node: node, place: place, path: path, value: value) }
                continue
            }
            switch value {
            case .string:
                // An error when an ordinary string shows the provider refusing what the rule allows
                // (`^pm_`, three letters, a uuid); a pattern that only keeps out control characters is a warning.
                if let pattern = node["pattern"]?.stringValue, RegexCache.shared.regex(pattern) != nil {
                    if let refused = Self.ordinaryStrings.first(where: { !RegexCache.shared.contains(pattern, in: $0) }) {
                        note(.error, place.appending("pattern"),
                             "the consumer may send any string (\(rule)), e.g. '\(refused)', which the provider's pattern '\(pattern)' refuses", expected: pattern)
                    } else {
                        note(.warning, place.appending("pattern"), "the consumer may send any string (\(rule)); the provider's pattern '\(pattern)' refuses some")
                    }
                }
                if let format = node["format"]?.stringValue, SchemaFormats.checkedStringFormats.contains(format),
                   let refused = Self.ordinaryStrings.first(where: { !SchemaFormats.isValid($0, format: format) }) {
                    note(.error, place.appending("format"), "the consumer may send any string (\(rule)), e.g. '\(refused)'; the provider takes only a \(format)", expected: format)
                }
                for keyword in ["minLength", "maxLength"] where node[keyword] != nil {
                    note(.warning, place.appending(keyword), "the consumer may send a string of any length (\(rule)); the provider's \(keyword) is \(Self.short(node[keyword]!))")
                }
            case .integer, .decimal:
                let types = Self.types(node["type"]) ?? []
                if types.contains("integer"), !types.contains("number") {
                    let severity: SchemaFinding.Severity = admitted == .numbers ? .error : .warning
                    if admitted != .integers {
                        note(severity, place.appending("type"), "the consumer may send a decimal (\(rule)); the provider takes integers"
                                                               + (severity == .warning ? " (the integer matcher says what is meant)" : ""))
                    }
                }
                for keyword in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"] where node[keyword]?.doubleValue != nil {
                    note(.warning, place.appending(keyword), "the consumer may send any \(what) (\(rule)); the provider's \(keyword) is \(Self.short(node[keyword]!))")
                }
            default:
                break
            }
        }
        return findings
    }

    /// Strings the consumer's regex admits, sampled the same every run, against the provider's
    /// pattern, format and lengths: one it refuses is the example a person needs to see.
    private func regexWidening(_ regex: String, node: JSONObject, place: DocumentPlace, path: DocumentPath, value: JSONValue) -> [SchemaFinding] {
        let samples = RegexSampler.samples(regex, count: 16, seed: Self.samplingSeed)
        var findings: [SchemaFinding] = []
        func refuse(_ severity: SchemaFinding.Severity, _ keyword: String, _ sample: String, _ what: String) {
            findings.append(SchemaFinding(severity: severity, path: path, place: place.appending(keyword),
                                          message: "the consumer's regex '\(regex)' admits '\(sample.prefix(80))', which \(what)",
                                          expected: node[keyword].map { JSONWriter.compact($0) }, actual: JSONWriter.compact(value)))
        }
        if let pattern = node["pattern"]?.stringValue, RegexCache.shared.regex(pattern) != nil,
           let sample = samples.first(where: { !RegexCache.shared.contains(pattern, in: $0) }) {
            refuse(.error, "pattern", sample, "the provider's pattern '\(pattern)' refuses")
        }
        if let format = node["format"]?.stringValue, SchemaFormats.checkedStringFormats.contains(format),
           let sample = samples.first(where: { !SchemaFormats.isValid($0, format: format) }) {
            refuse(.error, "format", sample, "is not a \(format)")
        }
        if let maximum = node["maxLength"]?.intValue, let sample = samples.first(where: { $0.unicodeScalars.count > maximum }) {
            refuse(.warning, "maxLength", sample, "is longer than the provider's maxLength \(maximum)")
        }
        if let minimum = node["minLength"]?.intValue, let sample = samples.first(where: { $0.unicodeScalars.count < minimum }) {
            refuse(.warning, "minLength", sample, "is shorter than the provider's minLength \(minimum)")
        }
        return findings
    }

    /// Any fixed number: the same samples, the same findings, every run.
    static let samplingSeed: UInt64 = 0x7061_6374

    /// A value the consumer expects under its rule, against what the provider may send.
    private func responseLeaf(_ value: JSONValue, _ admitted: AdmittedValues,
                              view: [(node: JSONObject, place: DocumentPlace)], path: DocumentPath) -> [SchemaFinding] {
        var findings: [SchemaFinding] = []
        for (node, place) in view {
            if case .pattern(let pattern?) = admitted, let options = node["enum"]?.arrayValue {
                let refused = options.enumerated().filter { _, option in
                    guard case .string(let text) = option else { return false }
                    return !RegexCache.shared.matchesWhole(pattern, text)
                }
                for (index, option) in refused.prefix(Self.listedOptions) {
                    let more = refused.count > Self.listedOptions && index == refused[Self.listedOptions - 1].offset ? " (and \(refused.count - Self.listedOptions) more options)" : ""
                    findings.append(SchemaFinding(severity: .error, path: path, place: place.appending("enum").appending(String(index)),
                                                  message: "the provider may send \(Self.short(option)), which the consumer's regex '\(pattern)' refuses\(more)",
                                                  expected: pattern, actual: JSONWriter.compact(value)))
                }
            }
            if admitted == .integers, let types = Self.types(node["type"]), types.contains("number"), !types.contains("integer") {
                findings.append(SchemaFinding(severity: .warning, path: path, place: place.appending("type"),
                                              message: "the provider may send a decimal; the consumer's integer rule refuses one", actual: JSONWriter.compact(value)))
            }
        }
        return findings
    }

    private func admittedText(_ admitted: AdmittedValues, _ what: String) -> String {
        if case .pattern(let pattern?) = admitted { return "string matching '\(pattern)'" }
        if case .pattern(nil) = admitted { return "\(what) of its format" }
        return what
    }

    /// Whether a regex rule can only produce values among `options`: true when it is a plain
    /// alternation of literals (`^(card|invoice)$`) all of which are options.
    private func regexStaysWithin(_ admitted: AdmittedValues, _ options: [JSONValue]) -> Bool {
        guard case .pattern(let pattern?) = admitted, let literals = Self.literalAlternatives(pattern) else { return false }
        return literals.allSatisfy { literal in options.contains(.string(literal)) }
    }

    /// `^(a|b)$`, `a|b`, `(?:a|b)` → ["a", "b"]; nil when the pattern is more than literals.
    static func literalAlternatives(_ pattern: String) -> [String]? {
        var text = Substring(pattern)
        if text.hasPrefix("^") { text = text.dropFirst() }
        if text.hasSuffix("$") && !text.hasSuffix("\\$") { text = text.dropLast() }
        if text.hasPrefix("(?:") && text.hasSuffix(")") { text = text.dropFirst(3).dropLast() } else if text.hasPrefix("(") && text.hasSuffix(")") { text = text.dropFirst().dropLast() }
        var literals: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                guard !character.isLetter && !character.isNumber else { return nil }
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                literals.append(current)
                current = ""
            } else if "()[]{}.*+?^$".contains(character) {
                return nil
            } else {
                current.append(character)
            }
        }
        guard !escaped else { return nil }
        literals.append(current)
        return literals
    }
}
