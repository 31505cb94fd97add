import ContractCore
import PactBroker
import Testing

@Suite struct ConsumerVersionSelectorTests {
    @Test func selectorsAreReadFromObjectsAndLists() throws {
        let selectors = try ConsumerVersionSelectors.parse([#"{"mainBranch": true}"#, #"[{"branch": "feat", "fallbackBranch": "main"}, {"deployed": true, "environment": "production"}]"#])
        #expect(selectors.count == 3)
        #expect(selectors[1]["fallbackBranch"]?.stringValue == "main")
    }

    @Test func everyBadSelectorIsNamedWithItsPlace() {
        let cases: [(String, String)] = [
            ("{mainBranch: true}", "is not JSON"),
            ("[]", "is an empty list"),
            (#"[{"mainBranch": true}, {"mainbranch": true}]"#, "[1].mainbranch is not a consumer version selector key"),
            (#"{"deployed": "yes"}"#, ".deployed must be a boolean, not a string"),
            (#"{"fallbackBranch": "main"}"#, ".fallbackBranch is for a branch or matchingBranch selector"),
            (#"{}"#, "must be a non-empty JSON object"),
        ]
        for (text, expected) in cases {
            do {
                _ = try ConsumerVersionSelectors.parse([text])
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.hasPrefix("--consumer-version-selectors") && error.description.contains(expected), "\(text): \(error)")
            }
        }
    }
}

@Suite struct DeploymentAnswerTests {
    private func row(_ consumer: String, _ cv: String, _ provider: String, _ pv: String?, _ status: MatrixRow.Status) -> MatrixRow {
        MatrixRow(consumer: consumer, consumerVersion: cv, provider: provider, providerVersion: pv, status: status)
    }

    /// Each alone is deployable against what production runs; together their new versions never verified each other.
    @Test func aSetIsJudgedOnWhatWillRunTogether() {
        let environment = [
            row("order", "2", "catalog", "1", .verified),  // order 2 against production's catalog 1
            row("order", "1", "catalog", "2", .verified),  // catalog 2 against production's order 1
            row("order", "2", "payment", "7", .verified),  // order 2 against payment, which does not move
        ]
        let alone = DeploymentAnswer.combine(set: [("order", "2")], environmentRows: [environment[0], environment[2]], setRows: [])
        #expect(alone.deployable)
        let together = DeploymentAnswer.combine(set: [("order", "2"), ("catalog", "2")], environmentRows: environment,
                                                setRows: [row("order", "2", "catalog", "2", .failed)])
        #expect(!together.deployable)
        #expect(together.failed == 1)
        #expect(together.rows == [row("order", "2", "catalog", "2", .failed), row("order", "2", "payment", "7", .verified)],
                "the rows against the old versions of what moves are replaced; the others stay")
    }

    @Test func aPairNeverVerifiedTogetherIsUnknownNotDeployable() {
        let answer = DeploymentAnswer.combine(set: [("order", "2"), ("catalog", "2")], environmentRows: [],
                                              setRows: [row("order", "2", "catalog", "2", .unknown), row("order", "2", "catalog", "1", .verified)])
        #expect(answer.unknown == 1 && !answer.deployable)
        #expect(answer.rows.count == 1, "a row of a version not in the set is not the set's")
        #expect(answer.rows[0].reason == "no verification of this pact by this provider version")
    }

    @Test func aVersionTheBrokerDoesNotKnowIsUnknown() {
        let answer = DeploymentAnswer.combine(set: [("order", "9")], environmentRows: [], setRows: [], problems: ["No pacticipant version 9 of order found"])
        #expect(!answer.deployable && answer.unknown == 1)
    }
}
