import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

@Suite struct ServicesCommandTests {
    @Test func servicesUpServesPrintsItsAddressesAndStopsCleanlyOnSIGINT() async throws {
        let base = Int.random(in: 20000...30000)
        let process = try ChildProcess(tollgateBinary.path, ["services", "up", "--gateway-port", "\(base)", "--user-port", "\(base + 1)",
                                                             "--catalog-port", "\(base + 2)", "--order-port", "\(base + 3)", "--payment-port", "\(base + 4)",
                                                             "--provider-port", "\(base + 5)", "--seed-products", "5"], captureError: false)
        let text = await process.output(until: "Ctrl-C stops", timeout: 30)
        #expect(text.contains("api-gateway        http://127.0.0.1:\(base)"))
        #expect(text.contains("kafka              127.0.0.1:"))
        #expect(text.contains("Admin: admin@tollgate.local"))
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(base)/api/v1/products?per_page=2")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("\"total\":5"))
        process.send(SIGINT)
        let ended = await process.ended()
        #expect(ended.code == 0 && !ended.signalled, "ended with \(ended)")
    }

    @Test func badFlagsAreRejectedBeforeAnythingStarts() throws {
        let result = try runTollgate(["services", "up", "--rollout-percent", "140", "--provider-failure-rate", "3"])
        #expect(result.status != 0)
        #expect(result.err.contains("--rollout-percent must be 0-100"))
        #expect(result.err.contains("--provider-failure-rate must be between 0 and 1"))
        let unknown = try runTollgate(["services", "run", "inventory"])
        #expect(unknown.status != 0)
        #expect(unknown.err.contains("unknown service 'inventory'"))
    }

    @Test func aTakenPortIsOneClearError() throws {
        let port = freePort()
        let blocker = try ChildProcess("/usr/bin/python3", ["-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(20)"],
                                       captureOutput: false, captureError: false)
        defer {
            blocker.send(SIGTERM)
            blocker.wait()
        }
        Thread.sleep(forTimeInterval: 0.5)
        let result = try runTollgate(["services", "run", "payment-provider", "--port", "\(port)"])
        #expect(result.status == 2)
        #expect(result.err.contains("could not listen on 127.0.0.1:\(port)"))
    }
}
