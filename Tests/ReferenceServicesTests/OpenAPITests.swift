import Foundation
import ReferenceServices
import TestSupport
import Testing

/// Where schemathesis is (the test command installs it into `.venv-schemathesis`).
enum Schemathesis {
    static let binary = ProcessInfo.processInfo.environment["TOLLGATE_SCHEMATHESIS"].flatMap {
        FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil
    }
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct OpenAPIDocumentTests {
    /// `TOLLGATE_UPDATE_OPENAPI=1 swift test --filter OpenAPIDocumentTests` rewrites the checked-in copies.
    @Test func everyServicePublishesItsDocumentAndTheCheckedInCopyIsCurrent() async throws {
        let directory = repositoryRoot.appendingPathComponent("contracts/openapi")
        let update = ProcessInfo.processInfo.environment["TOLLGATE_UPDATE_OPENAPI"] == "1"
        try await TestStack.with(.memory) { t in
            for service in ServiceAPIDocument.services {
                let expected = try #require(ServiceAPIDocument.json(for: service))
                let served = try await t.call("GET", "/openapi.json", base: t.url(service))
                #expect(served.status == 200)
                #expect(served.body == expected, "\(service) serves its document")
                let file = directory.appendingPathComponent("\(service).json")
                if update {
                    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                    try Data(expected).write(to: file)
                }
                let checkedIn = try? Data(contentsOf: file)
                #expect(checkedIn == Data(expected), "contracts/openapi/\(service).json is stale: run TOLLGATE_UPDATE_OPENAPI=1 swift test --filter OpenAPIDocumentTests")
                let document = try #require(try JSONSerialization.jsonObject(with: Data(expected)) as? [String: Any])
                #expect(document["openapi"] as? String == "3.1.0")
            }
        }
    }
}

/// schemathesis against every service, directly and through the gateway, on both stores: no
/// 5xx, only documented statuses, responses as documented.
@Suite(.enabled(if: Schemathesis.binary != nil, "needs schemathesis: make test installs it into .venv-schemathesis and sets TOLLGATE_SCHEMATHESIS"))
struct SchemathesisTests {
    @Test(arguments: StoreKind.available)
    func everyServiceHoldsToItsOpenAPIDocument(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let (_, customer) = try await t.customer("fuzz")
            // Each target with the token that reaches the most of it (the provider with none,
            // so the fuzzer cannot slow it down through /admin/faults). On PostgreSQL only the
            // services with a store: the gateway and the provider keep nothing, and what they
            // do is the same on both stores.
            let targets: [(service: String, token: String?)] = (kind == .memory ? [("api-gateway", t.stack.adminToken)] : []) + [
                ("user-service", customer), ("catalog-service", t.stack.adminToken), ("order-service", customer),
                ("payment-service", t.stack.serviceToken), ("monolith", t.stack.adminToken),
            ] + (kind == .memory ? [("payment-provider", nil)] : [])
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-st-\(UUID())")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let binary = try #require(Schemathesis.binary)
            let runs: [(service: String, arguments: [String])] = targets.map { target in
                var arguments = ["run", t.url(target.service) + "/openapi.json",
                                 "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance",
                                 "--phases", "examples,coverage,fuzzing", "--max-examples", "10", "--request-timeout", "10",
                                 "--generation-database", "none", "--no-color", "--seed", "42"]
                if let token = target.token { arguments += ["-H", "Authorization: Bearer \(token)"] }
                return (target.service, arguments)
            }
            // Two fuzzers at a time: each waits on the services more than it computes.
            for start in stride(from: 0, to: runs.count, by: 2) {
                let pair = runs[start..<min(start + 2, runs.count)]
                let results = try await withThrowingTaskGroup(of: (String, (out: String, err: String, code: Int32, signalled: Bool)).self) { group in
                    for run in pair {
                        let child = try ChildProcess(binary, run.arguments, directory: work.path)
                        group.addTask { (run.service, await child.finish()) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for (service, status) in results {
                    #expect(status.code == 0 && !status.signalled, "schemathesis found problems in \(service) (\(kind)):\n\(status.out.suffix(6000))\(status.err.suffix(2000))")
                    #expect(try await t.call("GET", "/health", base: t.url(service)).status == 200, "\(service) is still up")
                }
            }
        }
    }
}
