// Hostile lesson files: every problem is a moe::ConfigError naming the file, short, never a crash or a bare JSON
// exception (the app shows the message as it is).
#include "core/error.h"
#include "ui/session/lesson.h"
#include "ui/session/run_folder.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace moe::ui {
namespace {

std::string lesson_error(const std::string& text, const QString& source) {
    try {
        lesson_from_json(QByteArray::fromStdString(text), source);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(HostileLesson, DeepNestingIsAShortErrorNamingTheFile) {
    // 50,000 levels once overflowed the stack (the parser's result was copied and dumped recursively).
    const std::string deep = "{\"title\": " + std::string(50000, '[') + std::string(50000, ']') + "}";
    const std::string message = lesson_error(deep, "/lessons/deep.json");
    EXPECT_NE(message.find("deep.json"), std::string::npos) << message.substr(0, 300);
    EXPECT_NE(message.find("nested more than"), std::string::npos) << message.substr(0, 300);
    EXPECT_LT(message.size(), 300u);
}

TEST(HostileLesson, ANumberOutOfRangeNamesTheFile) {
    // nlohmann's out_of_range escaped the parse_error handler: the app showed its raw text, without the file.
    const std::string message =
        lesson_error("{\"shared\": {\"adam_eps\": 1e408}, \"model_a\": {}, \"model_b\": {}}", "huge.json");
    EXPECT_NE(message.find("huge.json"), std::string::npos) << message;
    EXPECT_NE(message.find("out of range"), std::string::npos) << message;
}

TEST(HostileLesson, MessagesDescribeValuesInsteadOfDumpingThem) {
    // 60 levels (within the depth limit) of a wrong-typed value: the message names the key, not 120 brackets.
    const std::string wrong = "{\"steps\": " + std::string(60, '[') + std::string(60, ']') +
                              ", \"model_a\": {}, \"model_b\": {}}";
    const std::string message = lesson_error(wrong, "wrong.json");
    EXPECT_NE(message.find("\"steps\" must be a positive integer, got a list of 1 entry"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("[["), std::string::npos) << message;
}

// The same reader guards a run folder's config.json, which the app opens too.
std::string run_folder_error(const std::string& name, const std::string& config_json) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("moelab-hostile-run-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "config.json", std::ios::binary) << config_json;
    std::string message;
    try {
        load_run_folder(QString::fromStdString(dir.string()));
    } catch (const Error& e) {
        message = e.what();
    }
    std::filesystem::remove_all(dir);
    return message;
}

TEST(HostileRunFolderConfig, JsonProblemsAreShortErrorsNamingConfigJson) {
    const std::string deep = run_folder_error("deep", "{\"hidden_size\": " + std::string(50000, '[') +
                                                          std::string(50000, ']') + "}");
    EXPECT_NE(deep.find("config.json"), std::string::npos) << deep.substr(0, 300);
    EXPECT_NE(deep.find("nested more than"), std::string::npos) << deep.substr(0, 300);
    EXPECT_LT(deep.size(), 300u);
    // out_of_range was not a parse_error: it escaped the folder reader's handler, without the file name.
    const std::string huge = run_folder_error("huge", "{\"adam_eps\": 1e408}");
    EXPECT_NE(huge.find("config.json"), std::string::npos) << huge;
    EXPECT_NE(huge.find("out of range"), std::string::npos) << huge;
}

}  // namespace
}  // namespace moe::ui
