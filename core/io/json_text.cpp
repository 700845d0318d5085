#include "core/io/json_text.h"

#include "core/error.h"

#include <algorithm>

namespace moe {
namespace {

// Greatest nesting of [ and { outside strings, found without recursion (and without building anything).
int nesting_depth(std::string_view text) {
    int depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
        else if ((c == ']' || c == '}') && depth > 0) --depth;
        if (deepest > kMaxJsonDepth) break;
    }
    return deepest;
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& source) {
    if (nesting_depth(text) > kMaxJsonDepth)
        throw FileError(source + ": JSON nested more than " + std::to_string(kMaxJsonDepth) +
                        " levels deep; MoE Lab's files are a few levels deep: this file is corrupt or not one of them");
    try {
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::out_of_range& e) {
        throw FileError(source + ": a number is out of range (" + e.what() + "); use a value a double can hold");
    } catch (const nlohmann::json::exception& e) {
        throw FileError(source + ": not valid JSON: " + e.what() + " (fix the file, or check it with a JSON validator)");
    }
}

std::string describe_json_value(const nlohmann::json& value) {
    if (value.is_array() || value.is_object()) {
        const std::size_t n = value.size();
        const bool one = n == 1;
        return std::string(value.is_array() ? "a list of " : "an object of ") + std::to_string(n) +
               (value.is_array() ? (one ? " entry" : " entries") : (one ? " key" : " keys"));
    }
    if (value.is_null() || value.is_boolean()) return value.dump();
    // replace, not the default strict: a --set value is raw command-line text and may not be UTF-8, and a message
    // must never throw.
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > 40) {
        std::size_t cut = 37;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
        text = text.substr(0, cut) + "...";
    }
    return (value.is_string() ? "the string " : "the number ") + text;
}

}  // namespace moe
