import IngotStorage

/// The serving module's schema migrations, registered in order by the composition root.
/// Append new migrations; never edit one that has shipped.
public enum ServingModule {
    public static let migrations: [Migration] = []
}
