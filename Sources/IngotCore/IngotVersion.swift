/// The version of this build of Ingot. `packaging/build-deb.sh` reads it from here so the
/// package version and `ingot version` always agree.
public enum IngotVersion {
    public static let current = "0.1.0"
}
