-- Project rule (Art 45.1): the public list shows the officer-approved public version of the question,
-- never the citizen's raw text. Answers published before the rule keep their answer; their question
-- (the raw text, still in the item's record) is withdrawn from the public table.
UPDATE "feedback_answers"
SET "question" = '(Câu hỏi chưa có bản công khai được cán bộ duyệt / no officer-approved public version of the question)';
