// Any bytes as a lesson file: lesson_from_json either returns two resolved models or throws moe::Error.
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"
#include "ui/session/lesson.h"

#include <QByteArray>
#include <QString>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    try {
        const moe::ui::Lesson lesson = moe::ui::lesson_from_json(bytes, QStringLiteral("fuzz.json"));
        (void)moe::ui::lesson_to_json(lesson);
    } catch (const moe::Error&) {
    }
    return 0;
}
