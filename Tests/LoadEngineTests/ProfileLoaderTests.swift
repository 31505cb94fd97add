import ContractCore
import Foundation
import LoadEngine
import SLO
import Steps
import Testing

@Suite struct ProfileLoaderTests {
    @Test func aBrokenProfileListsEveryProblemWithItsLineAndField() {
        let yaml = """
            name: broken
            targt: http://127.0.0.1:1
            scenarios:
              first:
                executor: constant-arrival-rat
                duration: 10s
                steps:
                  - path: /a
              second:
                executor: constant-vus
                vus: -3
                duration: forever
                steps:
                  - path: no-slash
                    method: FETCH
                  - path: /items/${order_id}
                    check:
                      status: 999
            slos:
              - p95<fast
            """
        do {
            _ = try ProfileLoader.parse(yaml, file: "broken.yaml")
            Issue.record("the profile loaded")
        } catch let error as FileProblems {
            let text = error.description
            for (line, fragment) in [(2, "targt: unknown field"), (5, "unknown executor 'constant-arrival-rat'"), (11, "vus: must be between 0"),
                                     (12, "duration: expected a duration"), (14, "a path starts with '/'"), (15, "unknown method 'FETCH'"),
                                     (16, "'${order_id}' is not captured"), (18, "status: must be between 100 and 599"), (20, "'fast' is not a number")] {
                #expect(text.contains("broken.yaml:\(line): ") && text.contains(fragment), "line \(line) \(fragment):\n\(text)")
            }
            #expect(error.problems.count >= 9)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func tlsSettingsAreReadBesideTheProfileAndCheckedAtTheEdge() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("not read here".utf8).write(to: folder.appendingPathComponent("ca.pem"))
        let scenarios = "scenarios:\n  s:\n    executor: constant-vus\n    vus: 1\n    duration: 1s\n    steps:\n      - path: /\n"
        let good = try ProfileLoader.parse("target: https://shop.example.com\ntls:\n  ca_file: ca.pem\n  server_name: shop.internal\n" + scenarios,
                                           file: folder.appendingPathComponent("p.yaml").path)
        #expect(good.tls == TLSSettings(caFile: folder.appendingPathComponent("ca.pem").path, serverName: "shop.internal"))
        let bad = """
            target: https://shop.example.com
            tls:
              ca_file: missing.pem
              cert_file: ca.pem
              server_name: "no spaces allowed"
              insecure_skip_verify: sometimes
              pinned: yes
            """
        do {
            _ = try ProfileLoader.parse(bad + "\n" + scenarios, file: folder.appendingPathComponent("bad.yaml").path)
            Issue.record("the profile loaded")
        } catch let error as FileProblems {
            let text = error.description
            for fragment in ["tls.pinned: unknown field", "tls.ca_file: cannot read", "tls.key_file: a client certificate needs both cert_file and key_file",
                             "tls.server_name: 'no spaces allowed' is not a host name", "tls.insecure_skip_verify"] {
                #expect(text.contains(fragment), "\(fragment):\n\(text)")
            }
        }
    }

    @Test func environmentVariablesFillThePlaceholdersBeforeTheYAMLIsRead() throws {
        let yaml = """
            target: ${TARGET:-http://127.0.0.1:9}
            scenarios:
              s:
                executor: constant-arrival-rate
                rate: ${RATE:-5}
                duration: 1s
                steps: [{path: "/x?id=${uuid}"}]
            """
        let profile = try ProfileLoader.parse(yaml, file: "p.yaml", environment: ["RATE": "40"])
        #expect(profile.target == "http://127.0.0.1:9")
        #expect(profile.scenarios[0].executor == .constantArrivalRate(rate: 40, duration: 1, preAllocatedVUs: 1, maxVUs: 100))
        // The guide's triggers; the payment one only where a step is tagged payment (it would select nothing).
        #expect(profile.objectives == Objective.rolloutDefaults.filter { $0.metric != .paymentFailureRate })
        do {
            _ = try ProfileLoader.parse("target: ${NOT_SET_ANYWHERE}\n", file: "p.yaml", environment: [:])
            Issue.record("an unset variable was accepted")
        } catch let error as FileProblems {
            #expect(error.description.contains("p.yaml:1: ${NOT_SET_ANYWHERE}: environment variable NOT_SET_ANYWHERE is not set"), "\(error)")
        }
    }

    @Test func feedersAndMixFilesAreReadRelativeToTheProfile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "sku,name\nSKU-1,\"Pro, large\"\nSKU-2,Eco\n".write(to: folder.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        try """
            - name: look
              weight: 3
              steps:
                - path: /products/${products.sku}
                  capture: {found: $.id}
                - path: /again/${found}
            - name: nothing
              weight: 1
              steps: [{path: /}]
            """.write(to: folder.appendingPathComponent("mix.yaml"), atomically: true, encoding: .utf8)
        let file = folder.appendingPathComponent("p.yaml")
        try """
            target: http://127.0.0.1:9
            data:
              products: {file: products.csv, mode: unique}
            scenarios:
              s:
                executor: per-vu-iterations
                vus: 2
                iterations: 3
                mix: mix.yaml
            """.write(to: file, atomically: true, encoding: .utf8)
        let profile = try ProfileLoader.load(file: file.path)
        let scenario = profile.scenarios[0]
        #expect(scenario.mix.sequences.map(\.name) == ["look", "nothing"])
        #expect(scenario.mix.sequences[0].steps.map(\.name) == ["GET /products/${products.sku}", "GET /again/${found}"])
        let feeder = try #require(scenario.feeders["products"])
        #expect(feeder.next()?["name"] == .string("Pro, large"))
        #expect(feeder.next()?["sku"] == .string("SKU-2"))
        #expect(feeder.next() == nil, "a unique feeder hands out each row once")
        // Shard 2 of 2 gets every other row.
        #expect(profile.sharded(Shard(index: 1, count: 2)).scenarios[0].feeders["products"]?.count == 1)
    }

    @Test func aProblemInAMixFileNamesThatFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mix-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "- name: x\n  steps:\n    - path: /a\n      think: soon\n".write(to: folder.appendingPathComponent("bad-mix.yaml"), atomically: true, encoding: .utf8)
        let file = folder.appendingPathComponent("p.yaml")
        try "scenarios:\n  s:\n    executor: constant-vus\n    vus: 1\n    duration: 1s\n    mix: bad-mix.yaml\n".write(to: file, atomically: true, encoding: .utf8)
        #expect { try ProfileLoader.load(file: file.path) } throws: { error in
            "\(error)".contains("bad-mix.yaml:4: mix[0].steps[0].think: expected a duration")
        }
    }

    @Test func aliasesThatExpandWithoutEndAreRefusedNotBuilt() {
        var yaml = "x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        for n in 1...8 { yaml += "x\(n): &a\(n) [" + Array(repeating: "*a\(n - 1)", count: 10).joined(separator: ", ") + "]\n" }
        yaml = yaml.replacingOccurrences(of: "x", with: "description_") // unknown keys are problems too; the body is the point
        yaml += "scenarios:\n  s:\n    executor: constant-vus\n    vus: 1\n    duration: 1s\n    steps:\n      - path: /x\n        body: *a8\n"
        #expect { try ProfileLoader.parse(yaml, file: "bomb.yaml") } throws: { "\($0)".contains("more than 200,000 values") }
    }

    @Test func requestsThatWouldBreakTheirOwnLinesAreRefused() {
        let yaml = "scenarios:\n  s:\n    executor: constant-vus\n    vus: 1\n    duration: 1s\n    steps:\n"
            + "      - path: \"/a b\"\n        headers: {X-Evil: \"v\\r\\nInjected: 1\"}\n"
        #expect { try ProfileLoader.parse(yaml, file: "p.yaml") } throws: { error in
            "\(error)".contains("a path has no spaces") && "\(error)".contains("a header value has no line breaks")
        }
    }

    /// A tiny time_unit would make the rate per second unbounded; huge bare numbers are not durations.
    @Test func timeUnitsAndBareDurationsAreBounded() {
        let tiny = """
            target: http://127.0.0.1:9
            scenarios:
              s: {executor: constant-arrival-rate, rate: 1, time_unit: 1e-300, duration: 1s, steps: [{path: /}]}
            """
        #expect(throws: FileProblems.self) { try ProfileLoader.parse(tiny, file: "p.yaml") }
        let fast = """
            target: http://127.0.0.1:9
            scenarios:
              s: {executor: constant-arrival-rate, rate: 1000000, time_unit: 100ms, duration: 1s, steps: [{path: /}]}
            """
        #expect(throws: FileProblems.self) { try ProfileLoader.parse(fast, file: "p.yaml") }
        for field in ["timeout: 1e300", "graceful_stop: 1e300", "start_time: 1e300", "duration: 1e300"] {
            let text = """
                target: http://127.0.0.1:9
                scenarios:
                  s: {executor: constant-arrival-rate, rate: 1, duration: 1s, \(field), steps: [{path: /}]}
                """.replacingOccurrences(of: "duration: 1s, duration: 1e300", with: "duration: 1e300")
            #expect(throws: FileProblems.self, "\(field)") { try ProfileLoader.parse(text, file: "p.yaml") }
        }
    }

    /// A file that is not a profile (a stage path of /etc/shadow) is refused without its contents.
    @Test func aFileOfAnotherKindIsNeverEchoed() {
        for text in ["root:$6$secrethash:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n", "root:$6$secrethash: [unclosed\n", "$6$secrethash\n"] {
            do {
                _ = try ProfileLoader.parse(text, file: "/etc/shadow")
                Issue.record("read as a profile")
            } catch {
                #expect(!"\(error)".contains("secrethash") && !"\(error)".contains("bin"), "\(error)")
                #expect("\(error)".contains("/etc/shadow"))
            }
        }
    }

    /// A feeder's size is checked before it is read: a sparse 2 GB file is refused at once.
    @Test func aHugeFeederIsRefusedBeforeItIsRead() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID()).csv")
        try Data("id\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        #expect(throws: FeederError.self) { try Feeder.load(name: "users", mode: .roundRobin, file: file) }
    }
}
