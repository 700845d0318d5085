#include "core/io/json_text.h"

#include "core/error.h"

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
    std::string type = value.type_name();
    if (value.is_structured()) return type + " of " + std::to_string(value.size()) + " element(s)";
    std::string text = value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return type + " " + text;
}

}  // namespace moe
