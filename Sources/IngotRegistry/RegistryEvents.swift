/// Something that happened in the registry, in the shape of Databricks' registry-webhook
/// payloads (`event`, `model_name`, `version`, `to_stage`, `from_stage`, `text`, …).
public struct RegistryEvent: Codable, Sendable, Equatable {
    public var event: String
    public var event_timestamp: Int64
    public var model_name: String
    public var version: String?
    public var to_stage: String?
    public var from_stage: String?
    /// Ingot addition: the alias set or requested.
    public var alias: String?
    public var text: String?
    public var user_id: String?
    /// Ingot addition: the transition request concerned.
    public var request_id: String?

    public init(
        event: String, timestamp: Int64, modelName: String, version: String? = nil, toStage: String? = nil, fromStage: String? = nil,
        alias: String? = nil, text: String? = nil, userID: String? = nil, requestID: String? = nil
    ) {
        self.event = event
        self.event_timestamp = timestamp
        self.model_name = modelName
        self.version = version
        self.to_stage = toStage
        self.from_stage = fromStage
        self.alias = alias
        self.text = text
        self.user_id = userID
        self.request_id = requestID
    }

    /// The events webhooks may subscribe to (Databricks' list plus Ingot's alias events).
    public static let allEvents: [String] = [
        "MODEL_VERSION_CREATED", "MODEL_VERSION_TRANSITIONED_STAGE", "TRANSITION_REQUEST_CREATED", "COMMENT_CREATED",
        "REGISTERED_MODEL_CREATED", "MODEL_VERSION_TAG_SET", "MODEL_VERSION_TRANSITIONED_TO_STAGING",
        "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION", "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED", "TRANSITION_REQUEST_TO_STAGING_CREATED",
        "TRANSITION_REQUEST_TO_PRODUCTION_CREATED", "TRANSITION_REQUEST_TO_ARCHIVED_CREATED", "MODEL_VERSION_ALIAS_SET",
        "TRANSITION_REQUEST_APPROVED", "TRANSITION_REQUEST_REJECTED",
    ]
}

/// Receives registry events after they are committed (the webhook dispatcher implements it).
public protocol RegistryEventSink: Sendable {
    func publish(_ events: [RegistryEvent]) async
}

/// Drops every event.
public struct NoRegistryEvents: RegistryEventSink {
    public init() {}
    public func publish(_ events: [RegistryEvent]) async {}
}
