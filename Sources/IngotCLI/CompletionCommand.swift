import ArgumentParser

/// `ingot completion bash|zsh|fish`: shell completion scripts from argument-parser's generator.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion", abstract: "Print a shell completion script (bash, zsh or fish).")

    @Argument(help: "The shell: bash, zsh or fish.")
    var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw ValidationError("unknown shell '\(shell)' (expected bash, zsh or fish)")
        }
        print(IngotCommand.completionScript(for: kind))
    }
}
