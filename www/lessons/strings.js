// The lessons page's own labels (the frame around the chapters), in English and 中文. Each
// chapter's prose lives in its own module (chapters/N-slug.js), not here.

import { fillTemplate } from '../i18n.js';

const STRINGS = {
  en: {
    'page.title': 'Lessons: how attention works',
    'page.tagline': 'Seven short chapters. Each one shows an idea happening on numbers the model really computes, in your browser.',
    'page.playground': 'Open the playground',
    'lang.switch': '中文',
    'lang.switch.label': 'Switch language to Chinese',
    'skip': 'Skip to the chapter',
    'toc.title': 'Chapters',
    'toc.visited': 'visited',
    'toc.right': 'question answered',
    'toc.wrong': 'question tried',
    'toc.summary': 'Chapters visited: {visited} of {total}. Questions answered right: {right}.',
    'where': 'Chapter {n} of {total}',
    'prev': '← Previous: {title}',
    'next': 'Next: {title} →',
    'keys': 'Keys: Alt + ← / → for the previous or next chapter (← / → alone too, outside the text box).',
    'text.label': 'Your sentence (type anything, English or 中文)',
    'tries.title': 'Try this',
    'question.title': 'Question',
    'question.right': 'Right.',
    'question.wrong': 'Not quite.',
    'question.again': 'You can try another answer.',
    'open.playground': 'Open this sentence in the playground',
    'load.wasm': 'Loading the engine (WebAssembly)…',
    'load.model': 'Downloading the model… {done} of {total}',
    'load.model.unknown': 'Downloading the model… {done}',
    'load.start': 'Starting the engine…',
    'error.title': 'This chapter hit a problem',
    'error.retry': 'Try again',
    'error.module': 'Chapter {n} could not be loaded: {message}',
    'error.view': 'The live view could not be drawn: {message}',
    'notice.chapter': 'There is no chapter “{raw}” (the chapters are 1 to {total}), so here is chapter 1.',
    'notice.field': 'The link’s “{name}” value “{raw}” could not be used and was left out.',
    'notice.dismiss': 'Dismiss',
    'element.chapter': '<attention-lesson>: chapter="{raw}" is not a chapter; use a number from 1 to {total}.',
    'element.lang': '<attention-lesson>: lang="{raw}" is not a language; use en or zh.',
  },
  zh: {
    'page.title': '课程：注意力是怎么工作的',
    'page.tagline': '七个短小的章节。每一章都让你亲眼看到一个道理在真实的数字上发生——这些数字都是模型在你的浏览器里现算出来的。',
    'page.playground': '打开注意力游乐场',
    'lang.switch': 'English',
    'lang.switch.label': '切换到英文',
    'skip': '跳到本章内容',
    'toc.title': '目录',
    'toc.visited': '已读',
    'toc.right': '已答对',
    'toc.wrong': '已作答',
    'toc.summary': '已读 {visited}/{total} 章，答对 {right} 道题。',
    'where': '第 {n} 章，共 {total} 章',
    'prev': '← 上一章：{title}',
    'next': '下一章：{title} →',
    'keys': '快捷键：Alt + ← / → 翻到上一章或下一章（光标不在输入框里时，直接按 ← / → 也可以）。',
    'text.label': '你的句子（中文、英文都可以，随便输入）',
    'tries.title': '动手试试',
    'question.title': '想一想',
    'question.right': '答对了。',
    'question.wrong': '不太对。',
    'question.again': '可以再选一个试试。',
    'open.playground': '在游乐场里打开这句话',
    'load.wasm': '正在加载计算引擎（WebAssembly）……',
    'load.model': '正在下载模型……{done} / {total}',
    'load.model.unknown': '正在下载模型……{done}',
    'load.start': '正在启动引擎……',
    'error.title': '这一章出了点问题',
    'error.retry': '再试一次',
    'error.module': '第 {n} 章没能加载：{message}',
    'error.view': '实时视图没能画出来：{message}',
    'notice.chapter': '没有“{raw}”这一章（章节是 1 到 {total}），先带你看第 1 章。',
    'notice.field': '链接里的“{name}”值“{raw}”用不了，已经忽略。',
    'notice.dismiss': '知道了',
    'element.chapter': '<attention-lesson>：chapter="{raw}" 不是有效的章节，请填 1 到 {total} 之间的数字。',
    'element.lang': '<attention-lesson>：lang="{raw}" 不是有效的语言，请填 en 或 zh。',
  },
};

/** `template` with each {name} replaced by params[name] (a name not given stays as it is). */
export const fill = fillTemplate;

/** The page's label `key` in `lang`, filled from `params`. */
export function lt(lang, key, params = {}) {
  return fill((STRINGS[lang] || STRINGS.en)[key] ?? STRINGS.en[key] ?? key, params);
}
