/// Validation of endpoint names and configs, with messages that say what to fix.
public enum EndpointValidation {
    public static let workloadSizes = ["Small", "Medium", "Large"]

    /// Names are used in URLs and cache paths: letters, digits, '-' and '_', at most 63 characters.
    public static func name(_ raw: String?, what: String = "Endpoint name") throws -> String {
        guard let raw, !raw.isEmpty else { throw ServingError.invalid("\(what) is required") }
        guard raw.count <= 63,
            raw.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }),
            raw.first != "-", raw.first != "_"
        else {
            throw ServingError.invalid("\(what) '\(raw)' is invalid: use 1-63 letters, digits, '-' or '_' (starting with a letter or digit)")
        }
        return raw
    }

    static func defaultMax(_ size: String) -> Int {
        switch size {
        case "Large": 8
        case "Medium": 4
        default: 2
        }
    }

    /// Validates a config; versions stay unresolved (aliases are resolved by the service).
    public static func config(_ input: EndpointConfigInput?) throws -> EndpointConfig {
        guard let input else { throw ServingError.invalid("config is required") }
        if input.served_entities != nil && input.served_models != nil {
            throw ServingError.invalid("Give served_entities or served_models, not both")
        }
        let items = input.served_entities ?? input.served_models ?? []
        guard !items.isEmpty else { throw ServingError.invalid("config.served_entities must name at least one served entity") }
        guard items.count <= 15 else { throw ServingError.invalid("config.served_entities may hold at most 15 entities") }
        var entities: [ServedEntity] = []
        for (k, item) in items.enumerated() {
            let at = "served_entities[\(k)]"
            guard let model = item.entity_name ?? item.model_name, !model.isEmpty else { throw ServingError.invalid("\(at).entity_name is required") }
            var versionText = item.entity_version ?? item.model_version
            var alias = item.alias
            if let v = versionText, v.hasPrefix("@") {
                guard alias == nil || alias == String(v.dropFirst()) else {
                    throw ServingError.invalid("\(at): entity_version '\(v)' and alias '\(alias!)' disagree")
                }
                alias = String(v.dropFirst())
                versionText = nil
            }
            if versionText != nil && alias != nil { throw ServingError.invalid("\(at): give entity_version or alias, not both") }
            var version: Int?
            if let v = versionText {
                guard let n = Int(v), n > 0 else {
                    throw ServingError.invalid("\(at).entity_version '\(v)' must be a positive version number or '@alias'")
                }
                version = n
            } else if let a = alias {
                guard !a.isEmpty else { throw ServingError.invalid("\(at).alias must not be empty") }
            } else {
                throw ServingError.invalid("\(at).entity_version is required (a version number, or '@alias')")
            }
            let size = item.workload_size ?? "Small"
            guard workloadSizes.contains(size) else {
                throw ServingError.invalid("\(at).workload_size '\(size)' must be one of \(workloadSizes.joined(separator: ", "))")
            }
            let scaleToZero = item.scale_to_zero_enabled ?? false
            let maxC = item.max_provisioned_concurrency ?? max(defaultMax(size), item.min_provisioned_concurrency ?? 0)
            let minC = item.min_provisioned_concurrency ?? (scaleToZero ? 0 : 1)
            guard minC >= 0, maxC >= 1, maxC <= 64, minC <= maxC else {
                throw ServingError.invalid(
                    "\(at): need 0 <= min_provisioned_concurrency (\(minC)) <= max_provisioned_concurrency (\(maxC)) <= 64, max >= 1")
            }
            if minC > 0 && scaleToZero && item.min_provisioned_concurrency != nil {
                throw ServingError.invalid("\(at): scale_to_zero_enabled needs min_provisioned_concurrency 0")
            }
            let defaultName = "\(model)-\(version.map(String.init) ?? alias!)"
                .map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }
            let name = try self.name(item.name ?? String(defaultName), what: "\(at).name")
            guard !entities.contains(where: { $0.name == name }) else { throw ServingError.invalid("Served entity name '\(name)' is used twice") }
            for (key, _) in item.environment_vars ?? [:] where key.isEmpty || key.contains("=") || key.contains("\0") {
                throw ServingError.invalid("\(at).environment_vars has an invalid name '\(key)'")
            }
            entities.append(
                ServedEntity(
                    name: name, modelName: model, version: version, alias: alias, resolvedVersion: version, workloadSize: size,
                    scaleToZero: scaleToZero, minConcurrency: minC, maxConcurrency: maxC, environment: item.environment_vars ?? [:],
                    shadow: item.shadow ?? false))
        }
        let served = entities.filter { !$0.shadow }
        guard !served.isEmpty else { throw ServingError.invalid("At least one served entity must take traffic (not shadow)") }
        var routes: [TrafficRoute] = []
        if let given = input.traffic_config?.routes {
            for (k, r) in given.enumerated() {
                guard let target = r.served_entity_name ?? r.served_model_name else {
                    throw ServingError.invalid("traffic_config.routes[\(k)].served_entity_name is required")
                }
                guard let entity = entities.first(where: { $0.name == target }) else {
                    throw ServingError.invalid("traffic_config.routes[\(k)] names '\(target)', which is not a served entity of this config")
                }
                guard !entity.shadow else {
                    throw ServingError.invalid("traffic_config.routes[\(k)]: shadow entity '\(target)' cannot take routed traffic")
                }
                guard let p = r.traffic_percentage, (0...100).contains(p) else {
                    throw ServingError.invalid("traffic_config.routes[\(k)].traffic_percentage must be an integer 0-100")
                }
                guard !routes.contains(where: { $0.entityName == target }) else {
                    throw ServingError.invalid("traffic_config routes '\(target)' twice")
                }
                routes.append(TrafficRoute(entityName: target, percentage: p))
            }
            let total = routes.reduce(0) { $0 + $1.percentage }
            guard total == 100 else { throw ServingError.invalid("traffic_config.routes traffic_percentage must sum to 100, got \(total)") }
        } else if served.count == 1 {
            routes = [TrafficRoute(entityName: served[0].name, percentage: 100)]
        } else {
            throw ServingError.invalid("traffic_config.routes is required when more than one entity takes traffic")
        }
        return EndpointConfig(entities: entities, routes: routes)
    }

    /// Validates `auto_capture_config`; the table prefix defaults to the endpoint name ('-' as '_').
    public static func autoCapture(_ input: AutoCaptureConfigInput?, endpoint: String) throws -> AutoCaptureConfig? {
        guard let input else { return nil }
        func identifier(_ raw: String?, _ what: String) throws -> String {
            guard let raw, !raw.isEmpty else { throw ServingError.invalid("auto_capture_config.\(what) is required") }
            guard raw.count <= 255, raw.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") })
            else {
                throw ServingError.invalid("auto_capture_config.\(what) '\(raw)' is invalid: use letters, digits and '_'")
            }
            return raw
        }
        let prefix = try identifier(input.table_name_prefix ?? endpoint.replacingOccurrences(of: "-", with: "_"), "table_name_prefix")
        return AutoCaptureConfig(
            catalog: try identifier(input.catalog_name, "catalog_name"), schema: try identifier(input.schema_name, "schema_name"),
            tablePrefix: prefix, enabled: input.enabled ?? true)
    }
}
