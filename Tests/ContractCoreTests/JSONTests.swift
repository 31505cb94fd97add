@testable import ContractCore
import Testing

@Suite struct JSONTests {
    @Test func keepsKeyOrderAndNumberKinds() throws {
        let value = try JSONParser.parse(#"{"z": 1, "a": 1.0, "m": -2e2, "s": "é\u00e9\n", "big": 123456789012345678901}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m", "s", "big"])
        #expect(value["z"] == .integer(1))
        if case .decimal = value["a"]! {} else { Issue.record("1.0 should be a decimal") }
        #expect(value["s"] == "éé\n")
        #expect(JSONWriter.compact(value) == #"{"z":1,"a":1.0,"m":-200.0,"s":"éé\n","big":1.2345678901234568e+20}"#)
    }

    @Test func rejectsMalformedInputWithPosition() {
        for bad in ["{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "tru", "[1] 2", "{\"a\":\"\n\"}"] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test func surrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == "😀")
    }
}
