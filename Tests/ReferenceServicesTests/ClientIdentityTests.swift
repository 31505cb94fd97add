import Foundation
@testable import ReferenceServices
import Testing

/// Sticky routing keys come from what no client can choose: anyone could pick the canary with an
/// unverified token's subject or an `X-Forwarded-For` of their own.
@Suite struct ClientIdentityTests {
    let signer = JWTSigner(secret: "a-secret-for-the-identity-test")

    @Test func onlyATokenTheGatewaySignedNamesTheUser() {
        let identity = ClientIdentity(signer: signer, trustedProxies: TrustedProxies())
        let real = signer.sign(TokenClaims(sub: "u-1", email: "a@b.c", role: Role.customer, iat: Int(Date().timeIntervalSince1970), exp: Int(Date().timeIntervalSince1970) + 60))
        #expect(identity.key(authorization: "Bearer " + real, forwardedFor: nil, peer: "10.0.0.9") == "user:u-1")
        let forged = JWTSigner(secret: "someone-else").sign(TokenClaims(sub: "canary-picker", email: "", role: Role.customer, iat: 0, exp: Int.max / 2))
        #expect(identity.key(authorization: "Bearer " + forged, forwardedFor: nil, peer: "10.0.0.9") == "addr:10.0.0.9")
        #expect(identity.key(authorization: "Bearer not.a.token", forwardedFor: nil, peer: "10.0.0.9") == "addr:10.0.0.9")
    }

    @Test func forwardedForCountsOnlyFromTrustedProxies() throws {
        let untrusting = ClientIdentity(signer: signer, trustedProxies: TrustedProxies())
        #expect(untrusting.address(forwardedFor: "1.2.3.4", peer: "127.0.0.1") == "127.0.0.1", "anyone's header is ignored")
        let trusting = ClientIdentity(signer: signer, trustedProxies: try #require(TrustedProxies(parsing: "10.0.0.0/8, 192.168.1.5")))
        #expect(trusting.address(forwardedFor: "1.2.3.4", peer: "10.2.3.4") == "1.2.3.4")
        // A client's own X-Forwarded-For before the proxies' entries does not count: the last untrusted hop does.
        #expect(trusting.address(forwardedFor: "6.6.6.6, 1.2.3.4, 192.168.1.5", peer: "10.0.0.1") == "1.2.3.4")
        #expect(trusting.address(forwardedFor: "1.2.3.4", peer: "172.16.0.1") == "172.16.0.1", "an untrusted peer's header is ignored")
        #expect(TrustedProxies(parsing: "10.0.0.0/33") == nil && TrustedProxies(parsing: "proxy.local") == nil)
    }
}
