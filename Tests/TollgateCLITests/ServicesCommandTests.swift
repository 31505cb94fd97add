import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

@Suite struct ServicesCommandTests {
    @Test func servicesUpServesPrintsItsAddressesAndStopsCleanlyOnSIGINT() async throws {
        let base = Int.random(in: 20000...30000)
        let process = Process()
        process.executableURL = tollgateBinary
        process.arguments = ["services", "up", "--gateway-port", "\(base)", "--user-port", "\(base + 1)", "--catalog-port", "\(base + 2)",
                             "--order-port", "\(base + 3)", "--payment-port", "\(base + 4)", "--provider-port", "\(base + 5)", "--seed-products", "5"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("Ctrl-C stops"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.contains("api-gateway        http://127.0.0.1:\(base)"))
        #expect(text.contains("kafka              127.0.0.1:"))
        #expect(text.contains("Admin: admin@tollgate.local"))
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(base)/api/v1/products?per_page=2")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("\"total\":5"))
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(process.terminationReason == .exit)
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
        let blocker = Process()
        blocker.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let port = freePort()
        blocker.arguments = ["-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(20)"]
        try blocker.run()
        defer { blocker.terminate() }
        Thread.sleep(forTimeInterval: 0.5)
        let result = try runTollgate(["services", "run", "payment-provider", "--port", "\(port)"])
        #expect(result.status == 2)
        #expect(result.err.contains("could not listen on 127.0.0.1:\(port)"))
    }
}
