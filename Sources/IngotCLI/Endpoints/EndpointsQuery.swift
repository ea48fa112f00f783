import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

struct EndpointsQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Score a request on an endpoint (MLflow scoring JSON, or a CSV file).",
        discussion: #"ingot endpoints query fraud --data '{"dataframe_records": [{"amount": 12.5}]}'"#)
    @OptionGroup var client: ClientOptions
    @Argument(help: "Endpoint name.") var name: String
    @Option(help: "The request body (JSON).") var data: String?
    @Option(help: "A file with the request body: .json, or .csv (header row).") var file: String?

    func run() async throws {
        let c = try client.client()
        let path = "/serving-endpoints/\(name)/invocations"
        if let file, file.hasSuffix(".csv") {
            guard let d = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            let bytes = try await c.post(path, bytes: Array(d), contentType: "text/csv")
            print(String(decoding: bytes, as: UTF8.self))
            return
        }
        let text: String
        if let data {
            text = data
        } else if let file {
            guard let d = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            text = String(decoding: d, as: UTF8.self)
        } else {
            throw CLIError("give --data JSON or --file FILE")
        }
        guard let body = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { throw CLIError("the request is not valid JSON") }
        let bytes = try await c.raw(.POST, path, body: body)
        print(String(decoding: bytes, as: UTF8.self))
    }
}
