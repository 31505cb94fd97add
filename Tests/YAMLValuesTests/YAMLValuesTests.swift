import ContractCore
import Testing
import YAMLValues
import Yams

@Suite struct YAMLValuesTests {
    static let dotted = YAMLValues.PathStyle(key: { "\($0).\($1)" }, index: { "\($0)[\($1)]" })

    func read(_ text: String, budget: Int = 1_000) throws(YAMLValues.Problem) -> JSONValue {
        var left = budget
        return try YAMLValues.value(try! Yams.compose(yaml: text)!, at: "$", style: Self.dotted, budget: &left, exhausted: "too many")
    }

    @Test func plainScalarsAreTypedAndQuotedOnesStayStrings() throws {
        let value = try read("""
            n: 7
            d: 2.5
            b: true
            z: null
            s: plain
            quoted: "7"
            list: [1, "two", ~]
            """)
        #expect(value == .object(JSONObject([("n", .integer(7)), ("d", .decimal(2.5)), ("b", .bool(true)), ("z", .null), ("s", .string("plain")),
                                             ("quoted", .string("7")), ("list", .array([.integer(1), .string("two"), .null]))])))
    }

    @Test func keysAndTheBudgetAreProblemsWithTheirPlace() throws {
        // An alias is the value it names, and counts again: a small text naming a huge value runs out of budget.
        #expect(try read("a: &x [1]\nb: {c: *x}") == .object(JSONObject([("a", .array([.integer(1)])), ("b", .object(JSONObject([("c", .array([.integer(1)]))])))])))
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            + "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]"
        #expect { try read(laughs, budget: 5_000) } throws: { error in
            let problem = error as? YAMLValues.Problem
            return problem?.reason == "too many" && problem?.path.hasPrefix("$.d[") == true && problem?.mark?.line != nil
        }
        #expect { try read("? [1, 2]\n: v") } throws: { ($0 as? YAMLValues.Problem)?.reason == "a mapping key must be a string" }
        #expect { try read("items: [1, 2, 3, 4]", budget: 4) } throws: { error in
            let problem = error as? YAMLValues.Problem
            return problem?.path == "$.items[2]" && problem?.reason == "too many"
        }
    }
}
