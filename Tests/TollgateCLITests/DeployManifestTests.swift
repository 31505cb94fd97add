import Foundation
import TestSupport
import Testing

/// The Kubernetes manifests (deploy/k8s) and the image (Containerfile): what can be checked
/// without a cluster or a container engine.
@Suite struct DeployManifestTests {
    /// `kubernetes-validate` from PyPI (make test installs it into .venv-kubernetes and sets
    /// TOLLGATE_KUBERNETES_VALIDATE).
    static let validator = ProcessInfo.processInfo.environment["TOLLGATE_KUBERNETES_VALIDATE"].flatMap {
        FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil
    }
    /// kubectl, when its Kustomize is v4 or later (the bases use `patches` with a target and
    /// `replacements`; Debian bookworm's kubectl 1.20 bundles Kustomize v2).
    static let kubectl: String? = {
        guard let path = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["version", "--client"]
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let range = text.range(of: "Kustomize Version: v"), let major = Int(text[range.upperBound...].prefix { $0.isNumber }), major >= 4 else { return nil }
        return path
    }()
    /// The Kubernetes version the manifests are checked against.
    static let kubernetesVersion = "1.32.0"

    static func run(_ executable: String, _ arguments: [String]) async throws -> (out: String, err: String, code: Int32) {
        let finished = await (try ChildProcess(executable, arguments, directory: packageRoot.path)).finish()
        return (finished.out, finished.err, finished.code)
    }

    /// Each Kustomize base renders, and what it renders is valid for the Kubernetes API
    /// (strict: an unknown field is an error), as are the manifests applied on their own.
    @Test(.enabled(if: validator != nil && kubectl != nil, "needs kubectl (Kustomize v4 or later) and kubernetes-validate: make test installs them"),
          arguments: ["deploy/k8s/services", "deploy/k8s/load", "deploy/k8s/gate"])
    func eachBaseRendersAndValidates(_ base: String) async throws {
        let rendered = try await Self.run(try #require(Self.kubectl), ["kustomize", base])
        #expect(rendered.code == 0, "kubectl kustomize \(base): \(rendered.err)")
        let folder = try temporaryFolder("k8s")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rendered.yaml")
        try rendered.out.write(to: file, atomically: true, encoding: .utf8)
        let standalone = ["deploy/k8s/load": ["deploy/k8s/load/results-reader.yaml"], "deploy/k8s/services": ["deploy/k8s/services/secret.example.yaml"]][base] ?? []
        let validated = try await Self.run(try #require(Self.validator), ["--strict", "--kubernetes-version", Self.kubernetesVersion, file.path] + standalone)
        #expect(validated.code == 0, "\(base):\n\(validated.out)\(validated.err)")
        #expect(!rendered.out.contains("image: tollgate\n"), "every image is named by the kustomization")
    }

    /// Kinds and the settings the guide and the issue ask for, read from the rendered services.
    @Test(.enabled(if: kubectl != nil, "needs kubectl with Kustomize v4 or later"))
    func theServicesDeployAsTheGuideSays() async throws {
        let rendered = try await Self.run(try #require(Self.kubectl), ["kustomize", "deploy/k8s/services"]).out
        let all = rendered.components(separatedBy: "\n---\n")
        func documents(_ kind: String) -> [String] { all.filter { $0.contains("\nkind: \(kind)\n") } }
        let deployments = documents("Deployment")
        #expect(deployments.count == 7, "gateway, monolith, provider and the four services")
        for deployment in deployments {
            for expected in ["path: /health", "path: /ready", "runAsNonRoot: true", "automountServiceAccountToken: false", "readOnlyRootFilesystem: true",
                             "key: jwt-secret", "- services\n        - run", "memory: 512Mi"] {
                #expect(deployment.contains(expected), "\(expected) in\n\(deployment.prefix(400))")
            }
        }
        #expect(documents("Service").count == 7 && documents("PodDisruptionBudget").count == 4 && documents("HorizontalPodAutoscaler").count == 2)
        #expect(documents("Ingress").first?.contains("name: api-gateway") == true, "the ingress sends /api to the gateway")
        // Default deny, then only the paths the stack uses: no pod reaches a service's /admin, /_pact or /metrics past the gateway.
        let policies = documents("NetworkPolicy")
        #expect(policies.count == 8, "default deny and one per workload")
        #expect(policies.contains { $0.contains("name: default-deny-ingress") && $0.contains("podSelector: {}") && !$0.contains("ingress:") })
        let selected = Set(policies.compactMap { policy in policy.range(of: "podSelector:\n    matchLabels:\n      app: ").map { String(policy[$0.upperBound...].prefix { $0 != "\n" }) } })
        for deployment in deployments {
            let app = deployment.range(of: "\n      app: ").map { String(deployment[$0.upperBound...].prefix { $0 != "\n" }) } ?? ""
            #expect(selected.contains(app), "a policy lets traffic reach \(app)")
        }
        let payment = try #require(policies.first { $0.contains("name: payment-service-ingress") })
        #expect(payment.contains("app: order-service") && !payment.contains("app: api-gateway"), "only the order service (and the gate, Prometheus) reach payments")
        let config = try #require(documents("ConfigMap").first)
        #expect(!config.lowercased().contains("secret") && !config.contains("postgresql://"), "no secret in the ConfigMap")
    }

    /// The image installs exactly the runtime libraries the binary links: every library `ldd`
    /// finds outside the Swift toolchain (linked statically in the image) belongs to a package
    /// of the list, to one apt installs with them, or to the base image.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg"), "needs dpkg (Debian)"))
    func theImageHasEveryLibraryTheBinaryLinks() async throws {
        let containerfile = try String(contentsOf: packageRoot.appendingPathComponent("Containerfile"), encoding: .utf8)
        let line = try #require(containerfile.split(separator: "\n").first { $0.hasPrefix("ARG RUNTIME_PACKAGES=") })
        let listed = line.dropFirst("ARG RUNTIME_PACKAGES=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).split(separator: " ").map(String.init)
        #expect(containerfile.contains("--static-swift-stdlib"), "the Swift runtime is linked in")
        #expect(containerfile.contains("FROM debian:bookworm-slim") && containerfile.contains("USER 10001"))
        // What apt installs with the listed packages, and what bookworm-slim already has.
        let closure = try await Self.run("/usr/bin/apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks",
                                                                "--no-replaces", "--no-enhances"] + listed)
        var installed = Set(closure.out.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map(String.init))
        installed.formUnion(["libc6", "libgcc-s1", "libstdc++6", "zlib1g"])
        let libraries = try await Self.run("/usr/bin/ldd", [tollgateBinary.path]).out.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            guard let arrow = parts.firstIndex(of: "=>"), arrow + 1 < parts.count, parts[arrow + 1].hasPrefix("/") else { return nil }
            return String(parts[arrow + 1])
        }
        #expect(libraries.count > 10, "ldd found the binary's libraries")
        let system = libraries.filter { !$0.contains("/swift") && !$0.contains("/opt/") }
        // One dpkg for all of them: each line is "package:arch: /path" (the path as dpkg knows it).
        let paths = system.flatMap { [$0, URL(fileURLWithPath: $0).resolvingSymlinksInPath().path] }
        let owners = try await Self.run("/usr/bin/dpkg", ["-S"] + paths).out.split(separator: "\n").compactMap { line -> (path: String, package: String)? in
            guard let colon = line.range(of: ": ") else { return nil }
            return (String(line[colon.upperBound...]), String(line[..<colon.lowerBound].split(separator: ":").first ?? ""))
        }
        for library in system {
            let resolved = URL(fileURLWithPath: library).resolvingSymlinksInPath().path
            let package = owners.first { $0.path == resolved || $0.path == library }?.package ?? ""
            #expect(!package.isEmpty && installed.contains(package), "\(library) (package \(package.isEmpty ? "unknown" : package)) is not installed by the image")
        }
    }
}
