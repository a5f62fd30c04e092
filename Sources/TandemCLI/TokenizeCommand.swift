import ArgumentParser
import Foundation
import TandemTokenizer

/// `tandem tokenize --model MODEL [--special] [--json] [--stdin | -- TEXT]`.
struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Turn text into token ids with a model's tokenizer.")

    @Option(help: "Model name or path to a .gguf file.")
    var model: String

    @Flag(help: "Recognise control tokens such as <|im_start|> in the text.")
    var special = false

    @Flag(help: "Print only a JSON array of token ids.")
    var json = false

    @Flag(help: "Read the text from standard input.")
    var stdin = false

    @Argument(help: "The text (after --).")
    var text: [String] = []

    func validate() throws {
        if stdin && !text.isEmpty { throw ValidationError("give the text either with --stdin or after --, not both") }
        if !stdin && text.isEmpty { throw ValidationError("no text: give it after -- or use --stdin") }
    }

    func run() async throws {
        let input: String
        if stdin {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let decoded = String(data: data, encoding: .utf8) else { throw ValidationError("standard input is not valid UTF-8") }
            input = decoded
        } else {
            input = text.joined(separator: " ")
        }
        let tokenizer = try Tokenizer(contentsOf: try await ensureModel(model))
        let ids = try tokenizer.encode(input, parseSpecial: special)
        if json {
            print("[" + ids.map(String.init).joined(separator: ",") + "]")
        } else {
            for id in ids {
                let piece = try tokenizer.decode([id], renderSpecial: true)
                print("\(id)\t\(piece.debugDescription)")
            }
            print("\(ids.count) tokens")
        }
    }
}

/// `tandem detokenize --model MODEL IDS…`.
struct DetokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize",
        abstract: "Turn token ids back into text.")

    @Option(help: "Model name or path to a .gguf file.")
    var model: String

    @Flag(help: "Render control tokens such as <|im_end|> as text.")
    var special = false

    @Argument(help: "Token ids, separated by spaces or commas; a JSON array also works.")
    var ids: [String]

    func run() async throws {
        let joined = ids.joined(separator: " ")
        var tokenIDs: [Int32] = []
        for field in joined.split(whereSeparator: { " ,[]\n\t".contains($0) }) {
            guard let id = Int32(field) else { throw ValidationError("'\(field)' is not a token id") }
            tokenIDs.append(id)
        }
        let tokenizer = try Tokenizer(contentsOf: try await ensureModel(model))
        print(try tokenizer.decode(tokenIDs, renderSpecial: special), terminator: "")
        if isatty(STDOUT_FILENO) == 1 { print() }
    }
}
