import LoadEngine
import Steps
import Testing

/// `tollgate load --url`: one endpoint becomes a one-step profile, whatever the flags hold.
@Suite struct QuickProfileTests {
    @Test func anOpenModelOnOneURLKeepsItsQueryHeadersAndBodyExactly() throws {
        var quick = QuickProfile(url: "http://127.0.0.1:8000/api/v1/products?q=a%20b&page=2")
        quick.method = "post"
        quick.headers = [("X-Note", #"say "hi" \ back"#), ("Authorization", "Bearer t")]
        quick.body = "{\"a\": \"line\nbreak\"}"
        quick.rate = 50
        quick.seconds = 3
        quick.maxVUs = 20
        let profile = try quick.profile()
        #expect(profile.target == "http://127.0.0.1:8000")
        let scenario = try #require(profile.scenarios.first)
        let step = try #require(scenario.mix.sequences.first?.steps.first)
        #expect(step.name == "POST /api/v1/products" && step.method == "POST")
        #expect(step.headers.map(\.name) == ["X-Note", "Authorization"])
        var scope = RenderScope(sequence: RunSequence())
        #expect(step.path.render(&scope) == "/api/v1/products?q=a%20b&page=2")
        #expect(step.headers[0].value.render(&scope) == #"say "hi" \ back"#)
        if case .text(let body)? = step.body { #expect(body.render(&scope) == "{\"a\": \"line\nbreak\"}") } else { Issue.record("body \(String(describing: step.body))") }
        #expect(step.timeout == 10)
    }

    @Test func anHTTPSURLKeepsItsPath() throws {
        var quick = QuickProfile(url: "https://shop.example.com:8443/api/v1/products/7?x=1")
        quick.rate = 5
        quick.seconds = 1
        let profile = try quick.profile()
        #expect(profile.target == "https://shop.example.com:8443")
        var scope = RenderScope(sequence: RunSequence())
        #expect(profile.scenarios.first?.mix.sequences.first?.steps.first?.path.render(&scope) == "/api/v1/products/7?x=1")
    }

    @Test func aClosedModelWithoutAPathLoadsTheRoot() throws {
        var quick = QuickProfile(url: "http://localhost:9")
        quick.vus = 4
        quick.think = "100ms"
        let step = try #require(try quick.profile().scenarios.first?.mix.sequences.first?.steps.first)
        var scope = RenderScope(sequence: RunSequence())
        #expect(step.name == "GET /" && step.path.render(&scope) == "/" && step.think == 0.1)
    }

    @Test func aBrokenValueIsAProfileProblemNotAnotherField() {
        var quick = QuickProfile(url: "http://127.0.0.1:1/x")
        quick.rate = 1
        quick.timeout = "10s\n        think: 5s"
        #expect(throws: FileProblems.self) { try quick.profile() }
    }
}
