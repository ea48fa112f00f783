import IngotCLI

await IngotCommand.runMain()
