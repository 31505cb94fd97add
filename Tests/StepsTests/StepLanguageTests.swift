import ContractCore
import Foundation
import Steps
import Testing

/// The step language's pieces read and render as profiles and flows expect.
@Suite struct StepLanguageTests {
    @Test func templatesRenderBuiltInsAndVariables() throws {
        var scope = RenderScope(sequence: RunSequence())
        scope.variables["order_id"] = .integer(42)
        let text = try Template("/orders/${order_id}?n=${random_int(3,3)}&s=${seq}&s2=${seq}")
        #expect(text.render(&scope) == "/orders/42?n=3&s=1&s2=2")
        let body = try JSONTemplate(.object(JSONObject([("id", .string("${order_id}")), ("n", .string("${random_int(5,5)}")), ("note", .string("order ${order_id}"))])))
        #expect(body.render(&scope) == .object(JSONObject([("id", .integer(42)), ("n", .integer(5)), ("note", .string("order 42"))])))
        for bad in ["${", "${nope!}", "${random_int(5,1)}", "${random_int(a,b)}"] {
            #expect(throws: TemplateError.self, "\(bad)") { try Template(bad) }
        }
    }

    @Test func durationsAreRead() {
        #expect(DurationText.seconds("1m30s") == 90)
        #expect(DurationText.seconds("250ms") == 0.25)
        #expect(DurationText.seconds("2") == 2)
        for bad in ["", "5 parsecs", "-1s", "1e400s", "ms", "1e300", "31708800.5", "inf", "nan"] { #expect(DurationText.seconds(bad) == nil, "\(bad)") }
        #expect(DurationText.seconds("31622400") == 366.0 * 86_400, "a bare number is capped like any other duration")
    }
}
