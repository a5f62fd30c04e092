import TandemTokenizer

/// Token ids are the tokenizer's (`Int32`, index into the vocabulary).
public typealias TokenID = TandemTokenizer.TokenID
