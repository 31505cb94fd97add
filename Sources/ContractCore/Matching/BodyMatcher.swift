/// Chooses how to compare two bodies (JSON, XML, text, bytes) from their content types.
enum BodyMatcher {
    static func match(expected: Body, expectedType: ContentType?, actual: Body, actualType: ContentType?,
                      rules: BodyRules, allowUnexpectedKeys: Bool) -> [Mismatch] {
        switch expected {
        case .missing:
            return []
        case .null:
            switch actual {
            case .missing, .null: return []
            case .text(let s) where s.isEmpty: return []
            default:
                return [Mismatch(kind: .body, path: "$", expected: "null", actual: actual.displayText,
                                 message: "Expected an empty (null) body but received \(preview(actual))")]
            }
        case .text(let s) where s.isEmpty:
            if actual.isEmpty { return [] }
            return [Mismatch(kind: .body, path: "$", expected: "", actual: actual.displayText, message: "Expected an empty body but received \(preview(actual))")]
        default:
            break
        }
        if actual.isEmpty, actual != .null {
            return [Mismatch(kind: .body, path: "$", expected: expected.displayText, actual: nil,
                             message: "Expected a body (\(preview(expected))) but the body was missing")]
        }
        let wanted = expectedType ?? ContentType.detect(expected.bytes)
        let received = actualType ?? ContentType.detect(actual.bytes)
        if wanted.essence != received.essence && !(wanted.isJSON && received.isJSON) && !(wanted.isXML && received.isXML)
            && !(wanted.type == "text" && received.type == "text" && !wanted.isXML) {
            // A body rule on the whole document (e.g. contentType) may still accept it.
            if !rules.isDefined(at: .root) {
                return [Mismatch(kind: .bodyType, path: "$", expected: wanted.essence, actual: received.essence,
                                 message: "Expected a body of type '\(wanted.essence)' but received '\(received.essence)'")]
            }
        }
        // JSON or text expected, bytes that are not UTF-8 received: no lossy decoding may pass them.
        if case .binary(let bytes) = actual, wanted.isJSON || wanted.isText, String(validating: bytes, as: UTF8.self) == nil {
            switch expected {
            case .json, .text:
                return [Mismatch(kind: .body, path: "$", expected: preview(expected), actual: "\(bytes.count) bytes",
                                 message: "Expected a \(wanted.essence) body but received \(bytes.count) bytes that are not valid UTF-8")]
            default: break
            }
        }
        switch (expected, actual) {
        case let (.json(e), .json(a)):
            return JSONBodyMatcher.match(expected: e, actual: a, rules: rules, allowUnexpectedKeys: allowUnexpectedKeys)
        case let (.json(e), .null):
            return JSONBodyMatcher.match(expected: e, actual: .null, rules: rules, allowUnexpectedKeys: allowUnexpectedKeys)
        case let (.json(e), .text(text)):
            guard let a = try? JSONParser.parse(text) else {
                return [Mismatch(kind: .body, path: "$", expected: JSONWriter.compact(e), actual: text, message: "Expected a JSON body but it does not parse as JSON")]
            }
            return JSONBodyMatcher.match(expected: e, actual: a, rules: rules, allowUnexpectedKeys: allowUnexpectedKeys)
        case let (.text(e), .text(a)) where wanted.isXML:
            return XMLBodyMatcher.match(expected: e, actual: a, rules: rules, allowUnexpectedKeys: allowUnexpectedKeys)
        default:
            return matchWhole(expected: expected, actual: actual, rules: rules)
        }
    }

    /// Text and binary bodies: rules at `$` (regex, contentType, …) or byte equality.
    static func matchWhole(expected: Body, actual: Body, rules: BodyRules) -> [Mismatch] {
        if let (list, _) = rules.best(for: .root) {
            let e: LeafValue = .text(String(decoding: expected.bytes, as: UTF8.self))
            let actualLeaf: LeafValue
            if case .binary(let bytes) = actual, list.rules.contains(where: { if case .contentType = $0 { return true } else { return false } }) {
                // Sniff the raw bytes, not a lossy text version of them.
                let failures = list.rules.compactMap { rule -> String? in
                    if case .contentType(let type) = rule {
                        return RuleCheck.contentTypeMatches(type, bytes) ? nil : "Expected content of type '\(type)' but it looks like '\(ContentType.detect(bytes).essence)'"
                    }
                    return RuleCheck.check(rule, expected: e, actual: .text(String(decoding: bytes, as: UTF8.self)))
                }
                let failed = list.combine == .and ? !failures.isEmpty : failures.count == list.rules.count
                return failed ? [Mismatch(kind: .body, path: "$", expected: nil, actual: actual.displayText, message: failures.joined(separator: "; "))] : []
            }
            actualLeaf = .text(String(decoding: actual.bytes, as: UTF8.self))
            if let reason = RuleCheck.combine(list, expected: e, actual: actualLeaf) {
                return [Mismatch(kind: .body, path: "$", expected: expected.displayText, actual: actual.displayText, message: reason)]
            }
            return []
        }
        if expected.bytes != actual.bytes {
            return [Mismatch(kind: .body, path: "$", expected: expected.displayText, actual: actual.displayText,
                             message: "Expected body \(preview(expected)) but received \(preview(actual))")]
        }
        return []
    }

    static func preview(_ body: Body) -> String {
        let text = body.displayText
        return text.count > 80 ? "'" + text.prefix(77) + "...'" : "'\(text)'"
    }
}
