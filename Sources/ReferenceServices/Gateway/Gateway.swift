package import Foundation
import HTTPTypes
package import Hummingbird
import Prometheus
package import TransportHTTP

/// Where the gateway sends each API prefix.
package struct GatewayRoutes: Sendable {
    package var users: String, catalog: String, orders: String

    package init(users: String, catalog: String, orders: String) {
        self.users = users
        self.catalog = catalog
        self.orders = orders
    }

    /// The public API prefixes and the service behind each.
    var table: [(prefix: String, base: String)] {
        [("/api/v1/users", users), ("/api/v1/products", catalog), ("/api/v1/categories", catalog),
         ("/api/v1/orders", orders)]
    }

    /// The name of the service behind a prefix of `table`, as the gateway's metrics label it.
    static func serviceName(prefix: String) -> String {
        switch prefix {
        case "/api/v1/users": return "user-service"
        case "/api/v1/orders": return "order-service"
        default: return "catalog-service"
        }
    }

    /// The public operations of the user service; `GET /api/v1/users/:id` is service-to-service.
    static let publicUserPaths: Set<String> = ["register", "login", "profile", "addresses"]

    /// The service behind a public path. Service-to-service operations (inventory reservations,
    /// payments, a user by id) are never routed: they are reached only inside the system.
    func upstream(for path: String) -> (prefix: String, base: String)? {
        guard let route = table.first(where: { path == $0.prefix || path.hasPrefix($0.prefix + "/") }) else { return nil }
        if route.prefix == "/api/v1/users" {
            let rest = path.dropFirst(route.prefix.count).split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard let first = rest.first, Self.publicUserPaths.contains(String(first)) else { return nil }
        }
        return route
    }
}

/// The strangler-fig rollout: a share of users (sticky, by JWT subject or client address)
/// goes to the new services, the rest to the legacy monolith.
package actor RolloutState {
    package private(set) var percent: Int
    /// The lease last granted (it may have run out: `lease(at:)` says whether it is in force).
    var currentLease: RolloutLease?

    /// When this process began keeping the rollout (it is kept nowhere else).
    package nonisolated let keptSince = Date()

    package init(percent: Int) { self.percent = min(100, max(0, percent)) }

    package func set(_ percent: Int) { self.percent = percent }

    /// The 0–99 bucket a user falls in; the same key always lands in the same bucket.
    static func bucket(_ key: String) -> Int {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return Int(hash % 100)
    }
}

/// The API gateway: routes `/api/v1/…` to the services (or the legacy upstream, per the
/// rollout), propagates `X-Correlation-ID`, and exposes `/admin/rollout`.
package struct Gateway: Sendable {
    let routes: GatewayRoutes
    let legacy: String?
    let rollout: RolloutState
    let pool: HTTPClientPool
    let timeout: Double
    /// Verifies the admin token `PUT /admin/rollout` needs.
    let signer: JWTSigner
    /// Copies between the services' and the monolith's stores (`POST /admin/backfill`), when both run here.
    let backfill: (@Sendable () async throws -> BackfillReport)?
    /// Who a request comes from, for sticky routing.
    let identity: ClientIdentity
    /// Live response parity on a sample of GETs (`--mirror-percent`), when on.
    let mirror: GatewayMirror?

    package init(routes: GatewayRoutes, signer: JWTSigner, legacy: String? = nil, rollout: RolloutState = RolloutState(percent: 100),
                pool: HTTPClientPool = HTTPClientPool(), timeout: Double = 30, backfill: (@Sendable () async throws -> BackfillReport)? = nil,
                trustedProxies: TrustedProxies = TrustedProxies(), mirror: GatewayMirror? = nil) {
        self.backfill = backfill
        self.mirror = mirror
        identity = ClientIdentity(signer: signer, trustedProxies: trustedProxies)
        self.routes = routes
        self.signer = signer
        self.legacy = legacy
        self.rollout = rollout
        self.pool = pool
        self.timeout = timeout
    }

    struct RolloutBody: Codable { let percent: Int }
    struct RolloutView: Codable {
        let percent: Int; let legacyUpstream: String?; let stages: [Int]
        /// When this gateway process began keeping the rollout: a later start means it was reset.
        let keptSince: Date
        /// Who holds the rollout now (never the lease's id).
        let lease: LeaseView?
    }
    struct LeaseView: Codable { let holder: String; let expiresAt: Date }
    struct LeaseRequest: Codable { let holder: String?; let ttlS: Int }
    struct GrantedLease: Codable { let id: String; let holder: String; let expiresAt: Date }

    static let stages = [0, 10, 25, 50, 75, 100]

    func view() async -> RolloutView {
        let lease = await rollout.lease()
        return RolloutView(percent: await rollout.percent, legacyUpstream: legacy, stages: Self.stages, keptSince: rollout.keptSince,
                           lease: lease.map { LeaseView(holder: $0.holder, expiresAt: $0.expiresAt) })
    }

    static func held(_ lease: RolloutLease) -> APIError {
        APIError(.conflict, "rollout_leased", "the rollout is held by \(lease.holder) until \(ISO8601DateFormatter().string(from: lease.expiresAt)); "
                 + "it moves with that lease only (X-Rollout-Lease)")
    }

    static func leaseSeconds(_ body: LeaseRequest) throws -> Int {
        guard (1...RolloutLease.maximumSeconds).contains(body.ttlS) else {
            throw APIError.invalid("'ttl_s' must be between 1 and \(RolloutLease.maximumSeconds) seconds")
        }
        return body.ttlS
    }

    package func router(metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions()) -> Router<ServiceContext> {
        let upstreams = [routes.users, routes.catalog, routes.orders]
        let pool = self.pool
        let router = makeServiceRouter(name: "api-gateway", metrics: metrics, options: options, proxiedPrefixes: routes.table.map(\.prefix), readiness: Dictionary(uniqueKeysWithValues: Set(upstreams).map { base in
            (base, { @Sendable in ((try? await pool.send(HTTPClientRequest(url: base + "/health", timeout: 2)))?.status == 200) })
        }))
        router.add(middleware: ProxyMiddleware(gateway: self, metrics: metrics))
        router.get("/admin/rollout") { _, _ in try JSON.response(await view()) }
        router.put("/admin/rollout") { request, _ in
            _ = try signer.claims(request.header("Authorization"), requiring: [Role.admin])
            let body = try await request.decodeJSON(RolloutBody.self)
            guard (0...100).contains(body.percent) else { throw APIError.invalid("'percent' must be between 0 and 100") }
            if let held = await rollout.set(body.percent, leaseID: request.header("X-Rollout-Lease")) { throw Self.held(held) }
            return try JSON.response(await view())
        }
        router.post("/admin/rollout/lease") { request, _ in
            _ = try signer.claims(request.header("Authorization"), requiring: [Role.admin])
            let body = try await request.decodeJSON(LeaseRequest.self)
            let holder = (body.holder ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            // Other gates print the holder: no control characters (terminal escapes), one line.
            guard (1...200).contains(holder.count), !holder.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
                throw APIError.invalid("'holder' must say who takes the lease, in 1 to 200 printable characters on one line")
            }
            let (lease, granted) = await rollout.acquire(holder: holder, seconds: try Self.leaseSeconds(body))
            guard granted else { throw Self.held(lease) }
            return try JSON.response(GrantedLease(id: lease.id, holder: lease.holder, expiresAt: lease.expiresAt), status: .created)
        }
        router.put("/admin/rollout/lease/:id") { request, context in
            _ = try signer.claims(request.header("Authorization"), requiring: [Role.admin])
            let body = try await request.decodeJSON(LeaseRequest.self)
            guard let lease = await rollout.renew(try context.parameters.require("id"), seconds: try Self.leaseSeconds(body)) else {
                throw APIError(.notFound, "no_lease", "that lease is not in force (it was released or ran out)")
            }
            return try JSON.response(GrantedLease(id: lease.id, holder: lease.holder, expiresAt: lease.expiresAt))
        }
        router.delete("/admin/rollout/lease/:id") { request, context in
            _ = try signer.claims(request.header("Authorization"), requiring: [Role.admin])
            guard await rollout.release(try context.parameters.require("id")) else {
                throw APIError(.notFound, "no_lease", "that lease is not in force (it was released or ran out)")
            }
            return try JSON.response(["released": true])
        }
        if let backfill {
            router.post("/admin/backfill") { request, _ in
                _ = try signer.claims(request.header("Authorization"), requiring: [Role.admin])
                return try JSON.response(try await backfill())
            }
        }
        return router
    }

    /// The key that keeps a user on one side of the rollout (`ClientIdentity`).
    func stickyKey(_ request: Request, remoteAddress: String?) -> String {
        identity.key(authorization: request.header("Authorization"), forwardedFor: request.header("X-Forwarded-For"), peer: remoteAddress)
    }

    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length", "expect"]

    /// Forwards `request` to `path` (the normalized path it was routed by) on the upstream.
    /// `routed` is told where the request goes: `monolith` or the service's name.
    func forward(_ request: Request, path: String, context: ServiceContext, prefix: String, base: String,
                 routed: (String) -> Void = { _ in }, mirrored: @escaping @Sendable (String, String) -> Void = { _, _ in }) async throws -> Response {
        let percent = await rollout.percent
        var target = base, side = "services"
        if let legacy, percent < 100, RolloutState.bucket(stickyKey(request, remoteAddress: context.remoteAddress)) >= percent {
            target = legacy
            side = "legacy"
        }
        routed(side == "legacy" ? "monolith" : GatewayRoutes.serviceName(prefix: prefix))
        let body = try await request.body.collect(upTo: 8 * 1024 * 1024)
        var headers: [(name: String, value: String)] = request.headers.compactMap { field in
            Self.hopByHop.contains(field.name.canonicalName) || field.name.canonicalName == "x-correlation-id" ? nil : (field.name.rawName, field.value)
        }
        headers.append(("X-Correlation-ID", context.correlationID))
        if let address = context.remoteAddress { headers.append(("X-Forwarded-For", address)) }
        let url = target + path + (request.uri.query.map { "?" + $0 } ?? "")
        let upstream: HTTPClientResponse
        do {
            upstream = try await pool.send(HTTPClientRequest(method: request.method.rawValue, url: url, headers: headers,
                                                             body: Array(body.readableBytesView), timeout: timeout))
        } catch let error as HTTPClientError {
            throw APIError(error.kind == .timeout ? .gatewayTimeout : .badGateway, "upstream_unavailable",
                           "\(side == "legacy" ? "the legacy upstream" : prefix) did not answer: \(error.message)")
        }
        if let mirror, let legacy, request.method == .get, mirror.samples() {
            // The same GET again on this side (its noise) and on the other (the comparison), in the background.
            let other = side == "legacy" ? base : legacy
            let query = request.uri.query.map { "?" + $0 } ?? ""
            mirror.mirror(route: prefix, primary: upstream,
                          again: HTTPClientRequest(method: "GET", url: url, headers: headers, timeout: timeout),
                          other: HTTPClientRequest(method: "GET", url: other + path + query, headers: headers, timeout: timeout),
                          pool: pool, count: mirrored)
        }
        var fields = HTTPFields()
        for header in upstream.headers where !Self.hopByHop.contains(header.name.lowercased()) && header.name.lowercased() != "x-correlation-id" {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        fields[HTTPField.Name("X-Routed-To")!] = side
        return Response(status: .init(code: upstream.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: upstream.body)))
    }
}

/// Sends every `/api/…` request upstream; everything else (health, metrics, admin) stays here.
struct ProxyMiddleware: RouterMiddleware {
    let gateway: Gateway
    /// Counts requests by API prefix and where they were sent (`gateway_requests_total{prefix,
    /// target_service}`), as the guide's rollback step looks for `target_service=monolith`.
    let metrics: MetricsRegistry
    static let routed = MetricName(metricName: "gateway_requests", unitName: "total",
                                             helpText: "API requests the gateway sent on, by API prefix and target service (monolith or the new service).")

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        guard let path = GatewayPath.normalize(request.uri.path) else {
            throw APIError(.badRequest, "invalid_path", "the path cannot be routed (an encoded slash, a NUL, or '..' above the root)")
        }
        guard path.hasPrefix("/api/") else {
            // A path that only resolves outside the API (…/../metrics) is refused, not served here.
            guard path == request.uri.path else { throw APIError(.badRequest, "invalid_path", "the path leaves the API once '..' is resolved") }
            return try await next(request, context)
        }
        guard let (prefix, base) = gateway.routes.upstream(for: path) else {
            throw APIError(.notFound, "not_found", "no service serves \(path)")
        }
        return try await gateway.forward(request, path: path, context: context, prefix: prefix, base: base, routed: { target in
            metrics.counter(Self.routed, labels: [("prefix", prefix), ("target_service", target)]).increment()
        }, mirrored: { route, result in
            metrics.counter(GatewayMirror.counter, labels: [("route", route), ("result", result)]).increment()
        })
    }
}
