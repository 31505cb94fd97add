import Foundation
import Testing
import Transport
import TransportCrypto

/// Published test vectors, so the libcrypto bridge is known to compute the real thing.
@Suite struct CryptoTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func hmacSHA256MatchesRFC4231() {
        // RFC 4231, test case 2.
        let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Self.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func sha256MatchesFIPS180Examples() {
        #expect(Self.hex(Crypto.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex(Crypto.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func pbkdf2SHA256MatchesPublishedVectors() {
        let one = Crypto.pbkdf2SHA256(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 1)
        #expect(Self.hex(one) == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
        let many = Crypto.pbkdf2SHA256(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 4096)
        #expect(Self.hex(many) == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
    }

    @Test func randomBytesAndConstantTimeComparison() {
        let a = Crypto.randomBytes(32), b = Crypto.randomBytes(32)
        #expect(a.count == 32 && a != b)
        #expect(Crypto.constantTimeEqual(a, a))
        #expect(!Crypto.constantTimeEqual(a, b))
        #expect(!Crypto.constantTimeEqual(a, Array(a.prefix(31))))
    }
}

/// Credentials never reach what Tollgate prints or writes.
/// Text from outside printed on an operator's terminal: no escapes, bounded.
@Suite struct OutsideTextTests {
    @Test func controlCharactersBecomeQuestionMarksAndLongTextIsCut() {
        #expect(OutsideText.printable("held by gate \u{1B}[2J\u{1B}[31mB\r\u{9B}x") == "held by gate ?[2J?[31mB??x")
        #expect(OutsideText.printable("tab\tkept, café ok") == "tab\tkept, café ok")
        #expect(OutsideText.printable(String(repeating: "a", count: 1_000), limit: 10) == "aaaaaaaaaa… (990 more characters)")
    }
}

@Suite struct RedactionTests {
    @Test func credentialsInURLsAreRemoved() {
        #expect(Redaction.url("postgresql://app:s3cret@db:5432/orders?sslmode=disable&password=hunter2") == "postgresql://***@db:5432/orders?sslmode=disable&password=***")
        #expect(Redaction.url("http://127.0.0.1:3001/api?access_token=abc123&x=1#top") == "http://127.0.0.1:3001/api?access_token=***&x=1#top")
        #expect(Redaction.url("postgresql://app:p@ss@word@db/x") == "postgresql://***@db/x")
        #expect(Redaction.url("http://h/p?API-KEY=zzz") == "http://h/p?API-KEY=***")
        // The common token parameter names (an http rollout's URL carried them into every report).
        for name in ["api_token", "private_token", "auth_token", "client-secret", "x_api_key"] {
            #expect(Redaction.url("https://flags.example/v1/flag?\(name)=s3cr3t-value&env=prod") == "https://flags.example/v1/flag?\(name)=***&env=prod", "\(name)")
        }
    }

    /// Text from outside that echoes the request: the values the run knows go, and so does
    /// whatever looks like a credential.
    @Test func textFromOutsideLosesEverySecretTheRunKnows() {
        let echoed = #"{"error": "bad request", "request": {"url": "https://flags.example/api?private_token=pt-9f8e7d6c&env=prod", "headers": {"Authorization": "Bearer eyJhbGciOi.payload.sig", "X-Api-Key": "k-12345678"}}}"#
        let scrubbed = Redaction.text(echoed, secrets: ["Bearer eyJhbGciOi.payload.sig", "k-12345678"])
        for secret in ["pt-9f8e7d6c", "eyJhbGciOi", "k-12345678"] { #expect(!scrubbed.contains(secret), "\(scrubbed)") }
        #expect(scrubbed.contains("env=prod") && scrubbed.contains("bad request"))
        // Unknown to the run, still a credential by its form.
        #expect(Redaction.text("upstream said: Authorization: Bearer abcdefghijkl", secrets: []) == "upstream said: Authorization: Bearer ***")
        #expect(Redaction.text("the token is not an admin's; Basic auth failed", secrets: []) == "the token is not an admin's; Basic auth failed")
    }

    @Test func errorsAreScrubbedOfTheURLsSecrets() {
        // libpq splits at the first '@' of an unencoded password and names the rest as the host.
        let url = "postgresql://app:p@ssw0rd-long@127.0.0.1/db"
        let error = #"could not translate host name "ssw0rd-long@127.0.0.1" to address"#
        let scrubbed = Redaction.scrub(error, url: url)
        #expect(!scrubbed.contains("ssw0rd"), "\(scrubbed)")
    }
}
