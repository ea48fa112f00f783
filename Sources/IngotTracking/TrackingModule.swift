import IngotStorage

/// The tracking module's schema migrations, registered in order by the composition root.
/// Append new migrations; never edit one that has shipped.
public enum TrackingModule {
    public static let migrations: [Migration] = []
}
