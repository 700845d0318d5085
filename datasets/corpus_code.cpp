// The code domain: C-like source files of includes, defines, structs and functions with nested for / while / if
// blocks, four-space indentation, identifiers, numbers and operators.
#include "datasets/corpus_generators.h"

#include <vector>

namespace moe::data_detail {
namespace {

constexpr const char* kVerbs[] = {"get",   "set",   "compute", "update", "find",  "parse", "read",
                                  "write", "init",  "reset",   "scan",   "sort",  "merge", "copy",
                                  "clear", "check", "count",   "load",   "store", "push",  "pop"};
constexpr const char* kObjects[] = {"buffer", "list",   "table",  "node",   "value",  "index",   "range",
                                    "block",  "header", "token",  "string", "matrix", "queue",   "stack",
                                    "entry",  "frame",  "packet", "cache",  "state",  "checksum"};
constexpr const char* kVariables[] = {"count", "total", "value", "size",   "offset", "result", "sum",
                                      "limit", "flag",  "width", "height", "step",   "len",    "pos",
                                      "tmp",   "mask",  "hash",  "score",  "left",   "right",  "mid"};
constexpr const char* kArrays[] = {"data", "buf", "table", "items", "values", "keys", "out"};
constexpr const char* kTypes[] = {"int", "int", "int", "unsigned", "long", "float", "double", "char", "size_t"};
constexpr const char* kComments[] = {"skip empty entries",    "wrap around at the end",  "keep the running total",
                                     "nothing left to do",    "check the bounds first",  "fast path",
                                     "TODO: handle overflow", "reset for the next pass", "found a match",
                                     "the caller frees this"};

class CodeWriter {
public:
    explicit CodeWriter(Rng& rng) : rng_(rng) {}

    std::string file() {
        out_.clear();
        static constexpr const char* headers[] = {"stdio.h", "stdlib.h", "string.h", "stdint.h", "math.h"};
        const int include_count = between(rng_, 1, 3);
        for (int i = 0; i < include_count; ++i) {
            out_ += std::string("#include <") + pick<const char*>(rng_, headers) + ">\n";
        }
        out_ += '\n';
        if (chance(rng_, 60)) {
            out_ += cat({"#define MAX_", upper(pick<const char*>(rng_, kObjects)), " ", number(), "\n\n"});
        }
        if (chance(rng_, 40)) structure();
        const int functions = between(rng_, 2, 4);
        for (int f = 0; f < functions; ++f) function();
        return out_;
    }

private:
    void structure() {
        out_ += std::string("struct ") + pick<const char*>(rng_, kObjects) + " {\n";
        const int fields = between(rng_, 2, 4);
        for (int i = 0; i < fields; ++i) {
            out_ += cat({"    ", pick<const char*>(rng_, kTypes), " ", pick<const char*>(rng_, kVariables), ";\n"});
        }
        out_ += "};\n\n";
    }

    void function() {
        if (chance(rng_, 40)) out_ += std::string("/* ") + pick<const char*>(rng_, kComments) + " */\n";
        const bool returns_value = chance(rng_, 75);
        const std::string type = returns_value ? pick<const char*>(rng_, kTypes) : "void";
        array_ = pick<const char*>(rng_, kArrays);
        length_ = chance(rng_, 50) ? "n" : "count";
        locals_.assign({length_});
        out_ += cat({chance(rng_, 30) ? "static " : "", type, " ", pick<const char*>(rng_, kVerbs), "_",
                     pick<const char*>(rng_, kObjects), "(int *", array_, ", int ", length_});
        if (chance(rng_, 40)) {
            const std::string extra = pick<const char*>(rng_, kVariables);
            out_ += ", int " + extra;
            locals_.push_back(extra);
        }
        out_ += ") {\n";
        block(1, between(rng_, 2, 5));
        if (returns_value) out_ += "    return " + expression() + ";\n";
        out_ += "}\n\n";
    }

    void block(int depth, int statements) {
        for (int s = 0; s < statements; ++s) statement(depth);
    }

    void statement(int depth) {
        const int kind = between(rng_, 0, 99);
        if (depth < 3 && kind < 22) {
            const std::string i(1, static_cast<char>('i' + depth - 1));
            indent(depth);
            out_ += "for (int " + i + " = 0; " + i + " < " + length_ + "; " + i + "++) {\n";
            loop_vars_.push_back(i);
            block(depth + 1, between(rng_, 1, 3));
            loop_vars_.pop_back();
            close(depth);
        } else if (depth < 3 && kind < 40) {
            indent(depth);
            out_ += "if (" + condition() + ") {\n";
            block(depth + 1, between(rng_, 1, 2));
            if (chance(rng_, 30)) {
                indent(depth);
                out_ += "} else {\n";
                block(depth + 1, 1);
            }
            close(depth);
        } else if (depth < 3 && kind < 45) {
            indent(depth);
            out_ += "while (" + condition() + ") {\n";
            block(depth + 1, between(rng_, 1, 2));
            close(depth);
        } else if (kind < 60) {
            const std::string name = pick<const char*>(rng_, kVariables);
            indent(depth);
            out_ += cat({pick<const char*>(rng_, kTypes), " ", name, " = ", expression(), ";\n"});
            locals_.push_back(name);
        } else if (kind < 85) {
            static constexpr const char* assign[] = {" = ", " += ", " -= ", " *= ", " |= ", " ^= ", " <<= "};
            indent(depth);
            out_ += cat({lvalue(), pick<const char*>(rng_, assign), expression(), ";\n"});
        } else if (kind < 92) {
            indent(depth);
            out_ += cat({variable(), chance(rng_, 50) ? "++" : "--", ";\n"});
        } else if (kind < 96) {
            indent(depth);
            out_ += cat({pick<const char*>(rng_, kVerbs), "_", pick<const char*>(rng_, kObjects), "(", array_, ", ",
                         variable(), ");\n"});
        } else {
            indent(depth);
            out_ += std::string("// ") + pick<const char*>(rng_, kComments) + '\n';
        }
    }

    std::string condition() {
        static constexpr const char* compare[] = {" < ", " <= ", " > ", " >= ", " == ", " != "};
        std::string c = cat({atom(), pick<const char*>(rng_, compare), atom()});
        if (chance(rng_, 20)) {
            c += cat({chance(rng_, 50) ? " && " : " || ", atom(), pick<const char*>(rng_, compare), atom()});
        }
        return c;
    }

    std::string expression() {
        static constexpr const char* ops[] = {" + ", " - ", " * ", " / ", " % ", " & ", " | ", " << ", " >> "};
        std::string e = atom();
        const int terms = chance(rng_, 40) ? 0 : between(rng_, 1, 2);
        for (int t = 0; t < terms; ++t) e += cat({pick<const char*>(rng_, ops), atom()});
        if (terms > 0 && chance(rng_, 15)) e = cat({"(", e, ")", pick<const char*>(rng_, ops), atom()});
        return e;
    }

    std::string atom() {
        const int kind = between(rng_, 0, 99);
        if (kind < 45) return variable();
        if (kind < 70) return number();
        if (kind < 90) return array_ + '[' + index() + ']';
        return cat({pick<const char*>(rng_, kVerbs), "_", pick<const char*>(rng_, kObjects), "(", variable(), ")"});
    }

    std::string lvalue() { return chance(rng_, 30) ? array_ + '[' + index() + ']' : variable(); }
    std::string index() { return loop_vars_.empty() || chance(rng_, 20) ? variable() : loop_vars_.back(); }
    std::string variable() {
        if (!loop_vars_.empty() && chance(rng_, 25)) return loop_vars_[rng_.below(loop_vars_.size())];
        return locals_[rng_.below(locals_.size())];
    }

    std::string number() {
        static constexpr const char* common[] = {"0",  "1",  "1",   "2",   "3",    "4",    "8",   "16",
                                                 "32", "64", "100", "255", "1024", "0xff", "0x7f"};
        return chance(rng_, 70) ? pick<const char*>(rng_, common) : std::to_string(between(rng_, 0, 999));
    }

    void indent(int depth) { out_.append(static_cast<size_t>(4 * depth), ' '); }
    void close(int depth) {
        indent(depth);
        out_ += "}\n";
    }
    static std::string upper(std::string s) {
        for (char& c : s) c = static_cast<char>(c - 'a' + 'A');
        return s;
    }

    Rng& rng_;
    std::string out_;
    std::string array_;
    std::string length_;
    std::vector<std::string> locals_;
    std::vector<std::string> loop_vars_;
};

}  // namespace

std::string generate_code(Rng& rng, size_t n) {
    CodeWriter writer(rng);
    std::string text;
    text.reserve(n + 4096);
    while (text.size() < n) text += writer.file();
    return fit_to_lines(std::move(text), n);
}

}  // namespace moe::data_detail
