import ContractCore
import Testing

@Suite struct RegexSamplerTests {
    @Test func samplesMatchTheirPatternAndRepeatForASeed() {
        let pattern = #"pay_[0-9a-f]{8}(-(eu|us))?"#
        let samples = RegexSampler.samples(pattern, count: 20, seed: 7)
        #expect(!samples.isEmpty)
        #expect(samples.allSatisfy { RegexCache.shared.matchesWhole(pattern, $0) })
        #expect(RegexSampler.samples(pattern, count: 20, seed: 7) == samples)
        // What the sampler cannot read gives nothing rather than a wrong string.
        #expect(RegexSampler.samples(#"(?=x)y"#, count: 3, seed: 1).isEmpty)
    }

    /// A pact's regex generator asking for a billion characters falls back to the example, at once.
    @Test func aHugeRepetitionIsRefusedNotBuilt() {
        #expect(RegexSampler.samples("a{1000000000}", count: 1, seed: 1).isEmpty)
        #expect(RegexSampler.samples("(ab{60000}){60000}", count: 1, seed: 1).isEmpty)
        #expect(Generator.regex("a{1000000000}").generate(example: .string("aaa"), context: GeneratorContext()) == .string("aaa"))
    }
}
