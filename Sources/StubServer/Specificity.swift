import ContractCore

/// How specifically an interaction's request describes the requests it matches, so that the
/// most specific of several matching interactions answers (pact-python writes interactions
/// sorted by description and puts a `type` rule on paths of provider-state generators: a rule-
/// matched "existing order" answered `GET /products/7`). Compared in order: a literal path over
/// a rule-matched one, then more values given exactly, then more values given at all.
struct Specificity: Comparable {
    let literalPath: Bool
    let exactValues: Int
    let values: Int

    init(_ request: HTTPRequest) {
        let rules = request.matchingRules
        literalPath = rules.path == nil
        var exact = 0, all = 0
        func count(ruled: Bool, _ n: Int = 1) {
            all += n
            if !ruled { exact += n }
        }
        for name in request.query?.names ?? [] { count(ruled: rules.query(name) != nil) }
        for name in request.headers.names { count(ruled: rules.header(name) != nil) }
        if case .json(let body) = request.body {
            func walk(_ value: JSONValue, _ path: DocumentPath) {
                switch value {
                case .object(let object): for (key, child) in object { walk(child, path.appending(field: key)) }
                case .array(let items): for (index, item) in items.enumerated() { walk(item, path.appending(index: index)) }
                default: count(ruled: rules.body.best(for: path) != nil)
                }
            }
            walk(body, .root)
        }
        exactValues = exact
        values = all
    }

    static func < (a: Specificity, b: Specificity) -> Bool {
        (a.literalPath ? 1 : 0, a.exactValues, a.values) < (b.literalPath ? 1 : 0, b.exactValues, b.values)
    }
}
