# Bilet — русский. Ключи совпадают с английским файлом.

language-name = Русский
app-name = Bilet

## Layout

skip-to-content = Перейти к содержимому
nav-label = Основное меню
nav-my-tickets = Мои обращения
nav-workspace = Рабочее место
nav-admin = Администрирование
nav-sign-in = Войти
nav-sign-out = Выйти
language-switch = Язык
language-browser = Как в браузере

## Notices after an action

notice-signed-out = Вы вышли из системы.
notice-signed-out-everywhere = Вы вышли на всех устройствах.
notice-welcome = Добро пожаловать! Учётная запись создана.
notice-webhook-enabled = Вебхук снова включён; всё, что ждало, уходит сейчас.
notice-webhook-removed = Вебхук удалён. Больше ему ничего не отправляется.
notice-webhook-resent = Поставлено в очередь на повторную отправку.
notice-token-revoked = Токен отозван. Запросы с ним теперь отклоняются.
notice-saved = Сохранено.
notice-password-changed = Пароль изменён. На других устройствах выполнен выход.
notice-session-ended = Этот сеанс завершён.

## Errors

error-summary-title = Есть ошибки
error-title = Что-то пошло не так
error-not-found-title = Страница не найдена
error-forbidden-title = Нет доступа
error-not-found = Здесь ничего нет, или у вас нет к этому доступа.
error-forbidden = У вас нет прав на это действие.
error-conflict = Пока вы работали, это изменил кто-то другой. Обновите страницу и попробуйте ещё раз.
error-throttled = Слишком много неудачных попыток. Подождите несколько минут и попробуйте снова.
error-busy = Служба поддержки сейчас перегружена. Попробуйте ещё раз через минуту.
error-invalid = Не удалось прочитать форму. Вернитесь назад и попробуйте ещё раз.
error-form-only = Этот адрес только принимает формы, показать здесь нечего. Вернитесь на страницу, где вы были: введённое там может сохраниться.
error-internal = У нас что-то сломалось. Попробуйте ещё раз чуть позже.
error-csrf = Форма устарела или отправлена не с этого сайта. Вернитесь назад, обновите страницу и отправьте её снова.
error-too-large = Отправленные данные слишком велики.
error-request-id = Если ошибка повторяется, сообщите в поддержку этот код: { $id }
error-go-home = На главную
error-login-failed = Неверный адрес электронной почты или пароль.
error-account-disabled = Эта учётная запись отключена. Обратитесь в службу поддержки.
error-email-invalid = Введите адрес электронной почты, например name@example.com.
error-placeholder-unknown = { $name } — неизвестная подстановка. Используйте agent.name, department.name, ticket.number или customer.name в двойных фигурных скобках.
error-email-taken = Учётная запись с этим адресом уже есть. Войдите с ним.
error-name-required = Введите ваше имя.
error-name-too-long = Имя слишком длинное: не более 200 символов.
error-password-too-short = Пароль слишком короткий: нужно не менее { $n ->
    [one] { $n } символа
   *[other] { $n } символов
}.
error-password-too-long = Пароль слишком длинный.
error-current-password-wrong = Текущий пароль указан неверно.
error-password-unchanged = Новый пароль должен отличаться от текущего.
error-locale-unknown = Выберите язык из списка.
error-time-zone-unknown = Выберите часовой пояс из списка.
error-department-unknown = Такого отдела нет.
error-token-name = Дайте токену имя не длиннее 100 символов.
error-token-name-taken = Токен с таким именем уже есть.
error-webhook-url = Укажите полный адрес http:// или https:// (не длиннее 2000 символов).
error-webhook-url-credentials = Уберите имя пользователя и пароль из адреса: каждая доставка и так подписана.
error-webhook-events = Выберите хотя бы одно событие.
error-token-user = Среди сотрудников нет активного пользователя с таким адресом.
error-slug-invalid = Используйте только строчные латинские буквы, цифры и дефис.
error-slug-taken = Это короткое имя уже занято другим отделом.
error-address-taken = Этот адрес уже занят другим отделом.

## Forms

field-email = Электронная почта
field-password = Пароль
field-name = Ваше имя
field-current-password = Текущий пароль
field-new-password = Новый пароль
field-language = Язык
field-time-zone = Часовой пояс
password-hint = Не менее { $n ->
    [one] { $n } символа
   *[other] { $n } символов
}. Хороший пароль — несколько не связанных между собой слов.

## Sign in and registration

login-title = Вход
login-submit = Войти
login-no-account = Ещё нет учётной записи?
login-register-link = Зарегистрируйтесь
register-title = Регистрация
register-lead = С учётной записью вы сможете создавать обращения и видеть каждый ответ.
register-submit = Зарегистрироваться
register-have-account = Уже есть учётная запись?

## Account

account-title = Учётная запись
account-save = Сохранить
time-zone-default = Часовой пояс службы поддержки
tz-region-africa = Африка
tz-region-america = Америка
tz-region-antarctica = Антарктида
tz-region-arctic = Арктика
tz-region-asia = Азия
tz-region-atlantic = Атлантический океан
tz-region-australia = Австралия
tz-region-europe = Европа
tz-region-indian = Индийский океан
tz-region-pacific = Тихий океан
tz-region-other = Другие
password-title = Смена пароля
password-must-change = Вы вошли с одноразовым паролем. Чтобы продолжить, задайте свой пароль.
password-other-sessions-end = После смены пароля на всех других устройствах будет выполнен выход.
password-submit = Сменить пароль
sessions-title = Где выполнен вход
sessions-this-one = Это устройство
session-device = { $browser }, { $system }
session-device-unknown = Другое устройство
sessions-address = с адреса { $address }
sessions-last-seen = активность { $when }
sessions-started = вход { $when }
sessions-end = Завершить сеанс
sessions-sign-out-everywhere = Выйти на всех устройствах

## Tickets

status-open = Открыто
status-pending = Ждёт ответа клиента
status-resolved = Решено
status-closed = Закрыто

# Short labels for the queue's status pills (the full one is in the title).
status-short-open = Открыто
status-short-pending = Ждёт клиента
status-short-resolved = Решено
status-short-closed = Закрыто

# Statuses as the customer reads them (agents see status-*).
customer-status-open = Открыто
customer-status-pending = Ждёт вашего ответа
customer-status-resolved = Решено
customer-status-closed = Закрыто

## Areas

portal-title = Мои обращения
portal-empty = У вас пока нет обращений. Когда вы напишете в поддержку, они появятся здесь.
agent-title = Рабочее место
agent-empty = Обращений нет. Здесь появляются обращения отделов, в которых вы работаете.
admin-title = Администрирование
admin-departments = Отделы
admin-departments-empty = Отделов пока нет. Создайте отдел командой `bilet department add`.
admin-department-name = Название
admin-department-slug = Короткое имя
admin-department-addresses = Адреса

## Portal: lists

portal-new-ticket = Новое обращение
portal-search-label = Поиск по моим обращениям
search-submit = Найти
portal-no-results = Нет обращений по запросу «{ $q }».
portal-open-tickets = Открытые
portal-closed-tickets = Решённые и закрытые
pager-next = Более ранние обращения
portal-support-replied = Поддержка ответила
portal-support-name = Поддержка — { $name }

## Portal: new ticket

new-ticket-title = Новое обращение
new-ticket-no-topics = Здесь пока нельзя создать обращение. Пожалуйста, напишите нам по электронной почте.
new-ticket-topic-question = С чем связано обращение?
new-ticket-change-topic = ← Выбрать другую тему
continue = Продолжить
optional = (необязательно)
field-product = К какому продукту или услуге это относится?
product-none = Не относится к продукту
field-subject = Тема
subject-hint = Одна строка, которая называет проблему, например: «Сайт example.com с 10:00 отдаёт ошибку 502».
subject-limit = Не больше { $n } символов.
subject-count = Набрано символов: { $n }
field-description = Описание
description-hint = Что именно происходит, с какого времени, что менялось перед этим и что вы уже попробовали.
field-attachments = Вложения
attachments-hint = Снимки экрана (PNG, GIF, JPEG), PDF или текстовые файлы, например вывод команд (.txt, .log). До { $file } МБ на файл, всего до { $total } МБ.
attachments-kept = Эти файлы уже прикреплены (снимите отметку, чтобы убрать файл):
new-ticket-submit = Отправить обращение
similar-title = Это та же проблема?
similar-text = У вас уже есть обращение №{ $number }:
similar-add = Добавить сообщение в №{ $number }
similar-new = Всё равно создать новое обращение

## Portal: ticket page

created-title = Обращение №{ $number } создано
# The mail may still be in the outbox: not "we have sent".
created-next-mail = Подтверждение уже в пути на ваш адрес электронной почты.
created-next = Поддержка отвечает на обращения в порядке очереди; каждый ответ появится здесь и придёт вам на почту. На это письмо тоже можно ответить.
continued-in = Это обращение закрыто; переписка продолжается в обращении
continues = Это обращение продолжает обращение
conversation = Переписка
rate-reply = Оцените ответ:
stars-n = { $n ->
    [one] { $n } звезда
    [few] { $n } звезды
   *[other] { $n } звёзд
}
rating-title = Как мы справились?
rating-question = Ваша оценка
rating-hint = Оценка ставится одним нажатием на звезду; комментарий — по желанию.
rating-save-comment = Сохранить комментарий
rating-given = Вы оценили это обращение на { $n } из 5.
stars-label-1 = 1 — плохо
stars-label-2 = 2 — так себе
stars-label-3 = 3 — хорошо
stars-label-4 = 4 — очень хорошо
stars-label-5 = 5 — отлично
field-comment = Комментарий
reply-title = Ответ
portal-reply-reopens = Обращение решено. Ваш ответ снова откроет его.
portal-reply-new-ticket = Обращение закрыто давно. Ваш ответ создаст новое обращение, связанное с этим.
field-message = Ваше сообщение
reply-submit = Отправить ответ
solved-button = Моя проблема решена

## Portal: claiming an account

login-claim = Уже писали нам по электронной почте?
login-claim-link = Задайте пароль для своего адреса
claim-title = Установка пароля
claim-lead = Если вы писали нам по электронной почте, укажите этот адрес. Мы пришлём ссылку для установки пароля, чтобы вы могли следить за обращениями здесь.
claim-submit = Прислать ссылку
claim-password-lead = Придумайте пароль для { $email }.
claim-password-submit = Установить пароль и войти

notice-reply-added = Ваш ответ отправлен.
notice-reopened = Ваш ответ отправлен, обращение снова открыто.
notice-continued = Прежнее обращение закрыто давно, поэтому ваш ответ создал это новое обращение.
notice-closed = Обращение закрыто. Спасибо!
notice-rated = Спасибо за оценку.
notice-rating-fixed = Эту оценку уже нельзя изменить.
notice-claim-sent = Если с этого адреса нам писали, ссылка уже в пути. Проверьте почту.
notice-link-expired = Срок действия ссылки истёк, или она больше не действует. Войдите или запросите новую ссылку.

error-topic-unknown = Выберите, с чем связано обращение.
error-product-unknown = Выберите продукт из списка.
error-subject-required = Укажите тему.
error-subject-too-long = Тема слишком длинная: не более { $n } символов.
error-body-required = Опишите проблему.
error-body-too-long = Текст слишком длинный: не более { $n } символов.
error-prompt-required = Ответьте на вопрос «{ $name }».
error-file-too-large = Файл { $name } больше { $n } МБ.
error-files-too-large = Файл { $name } не помещается: все вложения вместе — не более { $n } МБ.
error-file-type = Файл { $name } нельзя прикрепить: допускаются только PNG, GIF, JPEG, PDF и текстовые файлы.
error-file-not-claimed = { $name } — не { $claimed }: это { $actual }. Прикрепить можно только PNG, GIF, JPEG, PDF и текстовые файлы.
claimed-png = изображение PNG
claimed-gif = изображение GIF
claimed-jpeg = изображение JPEG
claimed-pdf = документ PDF
claimed-text = текстовый файл
content-program = программа
content-archive = архив
content-empty = пустой файл
content-binary = двоичные данные другого вида
error-stars = Выберите от 1 до 5 звёзд.
error-comment-too-long = Комментарий слишком длинный: не более { $n } символов.

## Mail

mail-greeting = Здравствуйте, { $name }!
mail-ack-received = Мы получили ваше обращение и зарегистрировали его под номером { $number }:
mail-ack-next = Поддержка отвечает на обращения в порядке очереди. Каждый ответ придёт вам на почту.
mail-ack-reply-hint = Чтобы что-то добавить, просто ответьте на это письмо, сохранив номер обращения в теме.
mail-open-ticket = Открыть обращение в браузере:
mail-agent-notice = { $name } пишет:
mail-claim-subject = Установка пароля для службы поддержки
mail-claim-intro = Кто-то — надеемся, вы — попросил установить пароль для этого адреса. Откройте ссылку в течение суток, чтобы задать пароль:
mail-claim-button = Установить пароль
mail-claim-ignore = Если это были не вы, просто удалите письмо: ничего не изменится.

## Agent workspace

workspaces-label = Очереди
workspace-mine = Мои открытые
workspace-unassigned = Без исполнителя в моих отделах
workspace-waiting = Ждут ответа клиента
workspace-closed = Недавно закрытые
workspace-shared = (общая)
workspace-up = Выше
workspace-down = Ниже
workspace-delete = Удалить
workspace-save-label = Сохранить этот поиск как
workspace-save = Сохранить очередь
workspace-share = Поделиться с
workspace-private = Только для меня
workspace-share-with = Для отдела «{ $department }»
queue-search-results = Результаты поиска
queue-empty-mine = У вас нет открытых обращений. Возьмите обращение из очереди «Без исполнителя в моих отделах» или нажмите a на открытом обращении.
queue-empty-unassigned = Обращений без исполнителя нет: у каждого обращения ваших отделов есть исполнитель. Новые обращения сначала появляются здесь.
queue-empty-waiting = Ни одно обращение не ждёт ответа клиента. Здесь ждут обращения, ответ на которые отправлен со статусом «Ждёт ответа клиента».
queue-empty-closed = В последнее время ничего не решено и не закрыто. Решённые обращения остаются здесь неделю.
queue-empty-search = Под этот поиск не подходит ни одно обращение. Попробуйте меньше слов, другой статус или «за всё время».
queue-empty-saved = Сейчас под это рабочее место не подходит ни одно обращение. Новые появятся здесь, как только придут.
queue-select = Выбрать
queue-select-ticket = Выбрать обращение №{ $number }
queue-subject = Тема
queue-requester = Клиент
queue-department = Отдел
queue-status = Статус
queue-priority = Приоритет
queue-assignee = Исполнитель
queue-activity = Последнее действие
last-by-customer = от клиента
last-by-agent = от поддержки
pager-more = Ещё
filters = Фильтры
filter-text = Тема или текст
filter-requester = Клиент
filter-any = Любой
filter-active = Открытые и ожидающие
filter-done = Решённые и закрытые
filter-me = Я
filter-unassigned = Никто
filter-days = Активность
filter-any-time = За всё время
filter-day = За сутки
filter-week = За 7 дней
filter-month = За 30 дней
filter-sort = Порядок
sort-activity_newest = Сначала недавно активные
sort-activity_oldest = Сначала давно неактивные
sort-created_newest = Сначала новые
sort-created_oldest = Сначала старые
bulk-label = С выбранными обращениями
bulk-assign-me = Назначить мне
bulk-unassign = Снять исполнителя
bulk-assign-to = Назначить: { $name }
bulk-status = Статус: { $status }
bulk-transfer = Передать в отдел «{ $department }»
bulk-apply = Применить
agent-new-ticket = Новое обращение от клиента
agent-new-lead = Для звонка или чата: обращение создаётся от имени клиента.
customer-email = Адрес электронной почты клиента
customer-name = Имя клиента
customer-name-hint = Нужно, если этого адреса ещё нет в системе.
customer-message = Что сообщил клиент
notify-customer = Отправить клиенту подтверждение, как будто он написал сам
open-ticket = Создать обращение
sound-on = Звук новых сообщений: включён
sound-off = Звук новых сообщений: выключен
shortcuts-hint = Нажмите ?, чтобы увидеть сочетания клавиш.
shortcuts-title = Сочетания клавиш
shortcut-move = Следующее / предыдущее обращение
shortcut-open = Открыть обращение
shortcut-reply = Ответить
shortcut-note = Внутренняя заметка
shortcut-assign = Взять тикет себе
shortcuts-layout = Клавиши работают в любой раскладке: j — это клавиша «о».
shortcut-search = Поиск
shortcut-send = Отправить форму, в которой вы пишете
shortcut-help = Этот список
close = Закрыть
live-new-activity = Новые события в обращении
live-new-message = Пришло новое сообщение.
priority-low = Низкий
priority-normal = Обычный
priority-high = Высокий
priority-urgent = Срочный

## Agent ticket page

show-quoted = Показать цитату
show-formatted = Показать оформленное письмо
download-original = Исходное письмо (.eml)
delivery-pending = ждёт отправки
delivery-sent = отправлено
delivery-retrying = повторная попытка
delivery-failed = не доставлено
delivery-bounced = возвращено
ticket-requester = Клиент
ticket-actions = Действия с обращением
nobody = Никто
someone = Кто-то
system = Bilet
presence-viewing = { $name } просматривает это обращение
presence-typing = { $name } пишет ответ…
stale-title = Пока вы писали, обращение изменилось
stale-text = Кто-то другой ответил или изменил его. Прочитайте переписку выше; ваш текст сохранён в поле ниже. Отправьте его снова, если он всё ещё уместен.
internal-note = Внутренняя заметка
role-customer = клиент
role-agent = Сотрудник поддержки
role-admin = Администратор
source-web = через сайт
source-email = по почте
source-api = через API
source-system = от Bilet
composer-label = Ответ
tab-reply = Ответ
tab-note = Внутренняя заметка
canned-label = Шаблон ответа
canned-insert = Вставить
properties = Свойства
properties-save = Сохранить
notice-properties-saved = Сохранено.
more-actions = Ещё
split-title = Выделить в новое обращение
split-question = Сообщение переносится из №{ $number } в новое обращение того же клиента. Клиент увидит оба обращения и причину.
split-subject = Тема нового обращения
canned-placeholder = Начните вводить название
event-split-from = { $actor } выделил(а) это обращение из №{ $number }
portal-split-from = Поддержка перенесла ваше сообщение из обращения №{ $number } в отдельное обращение, чтобы на каждый вопрос был свой ответ. Прежнее обращение:
portal-split-into = Одно из ваших сообщений перенесено в отдельное обращение №{ $number }, чтобы на каждый вопрос был свой ответ:
reply-to-customer = Ответ клиенту
signature-preview = Подпись, которая будет добавлена к ответу:
send-and-set = Отправить и установить статус
send-reply = Отправить ответ
note-warning = Внутренние заметки видят только сотрудники; клиенту они никогда не отправляются.
add-note = Добавить заметку
read-only = Вы можете читать это обращение, но не отвечать на него.
take-ticket = Взять обращение себе
change = Изменить
assign = Назначить
transfer-to = Передать в отдел
transfer-note = Заметка для нового отдела (необязательно)
transfer = Передать
merge-into = Объединить с обращением номер
merge = Объединить
split-message = Вынести сообщение в новое обращение
split = Разделить
event-created = { $actor } создал(а) обращение
event-status = { $actor } изменил(а) статус: { $from } → { $to }
event-assigned = { $actor } назначил(а) исполнителя: { $to }
event-took = { $actor } взял(а) обращение
event-unassigned = { $actor } снял(а) исполнителя
event-transferred = { $actor } передал(а) обращение из отдела «{ $from }» в «{ $to }»
event-priority = { $actor } установил(а) приоритет: { $to }
link-split-out = Выделено в
link-split-in = Выделено из
link-merged-out = Объединено с
link-merged-in = Присоединено из
link-related-out = Связано с
link-related-in = Связано с
link-mentioned-out = Упоминает
link-mentioned-in = Упомянуто в
link-reopened_as-out = Продолжено в
link-reopened_as-in = Продолжает

notice-reply-sent = Ответ отправлен клиенту.
notice-note-added = Заметка добавлена.
notice-status-changed = Статус изменён.
notice-priority-changed = Приоритет изменён.
notice-assigned = Исполнитель изменён.
notice-transferred = Обращение передано.
notice-transferred-away = Обращение передано в отдел, в котором вы не работаете.
notice-split = Это обращение выделено из другого.
notice-merged = Обращения объединены в это.
notice-opened-for-customer = Обращение создано от имени клиента.
notice-stale = Пока вы смотрели, обращение изменили; ничего не сохранено. Посмотрите ещё раз и повторите, если нужно.
notice-nothing-changed = Ничего не изменилось.
notice-bulk-done = Готово.
notice-workspace-saved = Очередь сохранена.
notice-workspace-name-missing = Дайте очереди название.
notice-workspace-deleted = Очередь удалена.
notice-assignee-no-access = Этот сотрудник не работает в отделе обращения.
notice-same-department = Обращение уже в этом отделе.
notice-merge-target = Выберите другое открытое обращение, которым вы управляете.
notice-department-unknown = Такого отдела нет.
notice-invalid = Не получилось.

error-reply-required = Напишите ответ или прикрепите файл.
error-assignee-no-access = Этот сотрудник не работает в отделе обращения.
error-same-department = Обращение уже в этом отделе.
error-merge-target = Выберите другое открытое обращение, которым вы управляете.
error-email-staff = Этот адрес принадлежит сотруднику, а не клиенту.
error-title-required = Укажите название.
error-role = Выберите: сотрудник поддержки или администратор.
error-own-admin-role = Нельзя снять роль администратора с самого себя.
error-manager = Выберите сотрудника.
error-limit = Укажите целое число мегабайт.
error-limit-total = Общий предел не может быть меньше предела для одного файла.

## Admin console

admin-staff = Сотрудники
admin-topics = Темы обращений
admin-products = Продукты и услуги
admin-canned = Шаблоны ответов
admin-settings = Настройки
admin-audit = Журнал изменений
admin-departments-count = { $n ->
    [one] { $n } отдел
    [few] { $n } отдела
   *[other] { $n } отделов
}
admin-staff-count = { $n ->
    [one] { $n } сотрудник
    [few] { $n } сотрудника
   *[other] { $n } сотрудников
}
admin-topics-lead = То, что клиент выбирает первым в форме нового обращения, с подсказками и вопросами.
admin-canned-lead = Готовые ответы, которые сотрудники вставляют и дополняют.
admin-settings-lead = Название службы поддержки, язык по умолчанию и ограничения на вложения.
admin-audit-lead = Кто что изменил и когда.
admin-visible = Виден клиентам
admin-visible-label = Показывать клиентам на портале
admin-department-new = Новый отдел
admin-slug-hint = Строчные латинские буквы, цифры и дефис; используется в адресах и ссылках.
admin-addresses-hint = По одному адресу в строке; с первого отправляются ответы.
admin-signature = Подпись
admin-placeholders-hint = Подстановки: { $list }
admin-manager = Руководитель
admin-manager-hint = Получает уведомления об эскалациях этого отдела.
admin-staff-new = Новый сотрудник
admin-role = Роль
admin-state = Состояние
admin-active = Активен
admin-disabled = Отключён
admin-is-disabled = Учётная запись отключена: войти нельзя, история сохраняется.
admin-grants = Отделы
admin-grants-hint = Чтение — видеть обращения. Ответ — также отвечать и писать заметки. Управление — также назначать, передавать, разделять, объединять и менять статус.
level-none = Нет доступа
level-read = Чтение
level-reply = Ответ
level-manage = Управление
admin-created = Учётная запись создана для { $email }
admin-one-time-password = Одноразовый пароль (показывается один раз; при первом входе его нужно сменить):
admin-reset-password = Сбросить пароль
admin-disable = Отключить учётную запись
admin-enable = Включить учётную запись
admin-topic-name = Тема
admin-topic-new = Новая тема
admin-topic-edit = Изменить тему
admin-guidance = Подсказка для клиентов
admin-prompts = Вопросы
admin-prompts-hint = По одному вопросу в строке. Добавьте * в конце, если ответ обязателен; «| подсказка» — пример ответа.
admin-suggested = Рекомендуемые вложения
admin-products-lead = Клиенты могут указать, к какому продукту или услуге относится обращение.
admin-product-name = Продукт или услуга
admin-product-new = Новый продукт или услуга
admin-product-edit = Изменить продукт или услугу
admin-name-in = Название ({ $language })
admin-names-hint = Клиенты и сотрудники видят название на своём языке; если оно не заполнено — название выше.
admin-hidden = (скрыт)
admin-hide = Скрыть
admin-show = Показать
admin-canned-title = Название
admin-canned-body = Текст
admin-canned-new = Новый шаблон
admin-canned-edit = Изменить шаблон
admin-all-departments = Все отделы
admin-helpdesk-name = Название службы поддержки
admin-default-language = Язык по умолчанию
admin-max-file = Наибольший размер вложения (МБ)
admin-max-message = Все вложения одного сообщения (МБ)
admin-relays = Пересылающие отправители
admin-relays-hint = Адреса, которые отправляют письма от имени других, например форма обратной связи сайта (noreply@…). Для их писем клиент — адрес из Reply-To. По одному в строке.
admin-notifications = Письма, которые отправляет Bilet
admin-notify-ack = Подтверждать клиентам новые обращения
admin-notify-replies = Отправлять клиентам ответы сотрудников
admin-notify-agents = Сообщать исполнителю (или сотрудникам отдела) о сообщениях клиентов
admin-webhooks = Вебхуки
admin-webhooks-intro = Bilet отправляет каждое выбранное изменение на адрес в JSON, подписанным секретом вебхука (заголовок Bilet-Signature), по одному и по порядку. Неудачную доставку повторяет сутки; после трёх дней неудач вебхук выключается, и администраторы получают уведомление.
admin-webhooks-empty = Вебхуков пока нет.
admin-webhook-new = Новый вебхук
admin-webhook-url = Адрес
admin-webhook-events = События
admin-webhook-event = Событие
admin-webhook-event-ticket-created = открыта заявка
admin-webhook-event-message-added = добавлено сообщение (и заметки)
admin-webhook-event-status-changed = изменился статус
admin-webhook-event-ticket-assigned = сменился исполнитель
admin-webhook-event-ticket-transferred = передана в другой отдел
admin-webhook-event-ticket-escalated = нарушен срок обслуживания
admin-webhook-event-ticket-rated = клиент поставил оценку
admin-webhook-department = Отдел
admin-webhook-all-departments = Все отделы
admin-webhook-allow-private = Разрешить частные адреса
admin-webhook-allow-private-hint = Только для приёмника на этой машине или в вашей сети: без этого адреса loopback, частных сетей и link-local отклоняются.
admin-webhook-created = Вебхук для { $url } создан
admin-webhook-secret-once = Секрет подписи показан один раз; сохраните его у приёмника:
admin-webhook-waiting = В очереди
admin-webhook-dead-n = { $n ->
    [one] { $n } не доставлено
    [few] { $n } не доставлено
    [many] { $n } не доставлено
   *[other] { $n } не доставлено
}
admin-webhook-failing = Сбои
admin-webhook-failing-since = сбои с { $when }
admin-webhook-disabled-gone = : приёмник ответил 410 Gone.
admin-webhook-disabled-failing = : доставки не проходили три дня.
admin-webhook-enable = Включить снова
admin-webhook-remove = Удалить вебхук
admin-webhook-remove-question = Удалить вебхук для { $url }? Больше ему ничего не отправится; история какое-то время хранится.
admin-webhook-history = Доставки
admin-webhook-history-empty = Пока ничего не отправлено.
admin-webhook-ticket = Заявка
admin-webhook-answer = Ответ
admin-webhook-when = Последняя попытка
admin-webhook-next = Следующая попытка
admin-webhook-next-now = сейчас
admin-webhook-not-tried = ещё не отправлялось
admin-webhook-resend = Отправить снова
admin-webhook-status-pending = ждёт
admin-webhook-status-sent = доставлено
admin-webhook-status-dead = не доставлено
admin-webhook-attempts = { $n ->
    [one] { $n } попытка
    [few] { $n } попытки
    [many] { $n } попыток
   *[other] { $n } попытки
}
admin-tokens = API-токены
admin-tokens-intro = Токен позволяет программе работать с REST API от имени сотрудника или собственной учётной записи, с ограничением по отделам и, если нужно, только на чтение.
admin-tokens-docs = Справочник API
admin-tokens-empty = Токенов пока нет.
admin-token-new = Новый токен
admin-token-name = Название
admin-token-user = От имени (адрес сотрудника)
admin-token-user-hint = Оставьте пустым, чтобы у токена была своя учётная запись «название (API)».
admin-token-departments = Отделы
admin-token-departments-hint = Не выбирайте ни одного, чтобы токен видел все отделы своей учётной записи.
admin-token-level-none = Без ограничения этим отделом
admin-token-read-only = Только чтение
admin-token-acts-as = От имени
admin-token-reach = Доступ
admin-token-last-use = Последнее использование
admin-token-never-used = никогда
admin-token-created = Токен { $name } создан
admin-token-once = Токен показан один раз; храните его надёжно:
admin-token-revoke = Отозвать
admin-token-revoke-question = Отозвать токен { $name }? Программы с ним сразу перестанут работать.
admin-mailboxes = Почтовые ящики
admin-mail = Письма, требующие внимания
admin-mail-lead = Письма, которые не удалось обработать (сохранены с ошибкой и обрабатываются повторно), и письма, задержанные по указанной рядом причине: спам, заблокированный отправитель, сотрудник без доступа или превышен лимит. Пропущенное письмо обрабатывается, если правило, по которому оно задержано, больше не действует.
admin-mail-empty = Ничего не требует внимания.
admin-download = Скачать
admin-retry = Повторить
admin-release = Пропустить
raw-quarantined = На карантине
raw-held = Задержано
admin-mailboxes-empty = Почтовых ящиков пока нет. Без них обращения приходят только с портала.
admin-mailbox-new = Новый почтовый ящик
admin-test-of = Проверка подключения { $name }
admin-test-connection = Проверить подключение
admin-last-poll = Последняя проверка
admin-host = Сервер
admin-port = Порт
admin-tls = Шифрование
tls-tls = TLS
tls-starttls = STARTTLS
tls-none = Нет (только в доверенной сети)
admin-user = Имя пользователя
admin-folder = Папка
admin-processed-folder = Перемещать обработанные письма в
admin-processed-folder-hint = Пусто: обработанные письма остаются на месте и помечаются прочитанными.
admin-mailbox-addresses = Адреса, на которые приходит почта в этот ящик (по одному в строке)
admin-default-department = Отдел для писем без адреса отдела
admin-existing-mail = Письма, которые уже лежат в папке
admin-existing-skip = Начать только с новых писем
admin-existing-import = Импортировать их как обращения, без подтверждений
admin-rules = Правила распределения
admin-rules-lead = Проверяются первыми, по порядку; затем адреса отделов в To, Cc и конверте; затем отдел почтового ящика.
admin-rule-kind = Правило
admin-rule-pattern = Значение
rule-sender_domain = Домен отправителя —
rule-subject_contains = Тема содержит
error-required = Это поле обязательно.
label-name = Имя
admin-mailbox-name = Название
admin-when = Когда
admin-who = Кто
admin-what = Что
admin-details = Подробности
create = Создать
delete = Удалить
cancel = Отмена
confirm-delete-title = Удалить насовсем?
confirm-delete-topic = Тема обращений удаляется насовсем; обращения по ней сохраняют ответы.
confirm-delete-canned = Шаблон ответа удаляется насовсем, для всех агентов.
confirm-merge-title = Объединить обращения?
confirm-merge-question = Вся переписка #{ $from } переходит в #{ $into }, а #{ $from } закрывается насовсем. Это нельзя отменить.
yes = Да
no = Нет

## Dates and numbers

fmt-date = { $day } { $month } { $year } г.
fmt-time = { $hour }:{ $minute }
fmt-datetime = { $date }, { $time }
fmt-am = AM
fmt-pm = PM
fmt-month-1 = янв.
fmt-month-2 = февр.
fmt-month-3 = мар.
fmt-month-4 = апр.
fmt-month-5 = мая
fmt-month-6 = июн.
fmt-month-7 = июл.
fmt-month-8 = авг.
fmt-month-9 = сент.
fmt-month-10 = окт.
fmt-month-11 = нояб.
fmt-month-12 = дек.
fmt-group-separator = {"\u00A0"}
fmt-decimal-separator = ,
fmt-bytes = { $n }{"\u00A0"}Б
fmt-kb = { $n }{"\u00A0"}КБ
fmt-mb = { $n }{"\u00A0"}МБ
fmt-gb = { $n }{"\u00A0"}ГБ
rel-just-now = только что
rel-minutes-ago = { $n ->
    [one] { $n } минуту назад
    [few] { $n } минуты назад
   *[other] { $n } минут назад
}
rel-hours-ago = { $n ->
    [one] { $n } час назад
    [few] { $n } часа назад
   *[other] { $n } часов назад
}
rel-days-ago = { $n ->
    [one] { $n } день назад
    [few] { $n } дня назад
   *[other] { $n } дней назад
}

bulk-summary = Изменено { $done } из { $total }
bulk-select-first = Сначала отметьте обращения.
bulk-choose-action = Выберите, что сделать с отмеченными обращениями.
bulk-refused-not-found = такого обращения нет среди доступных вам
bulk-refused-forbidden = вам можно его читать, но не изменять
bulk-refused-stale = изменилось после показа списка; посмотрите его ещё раз
bulk-refused-unchanged = уже так
bulk-refused-assignee = { $name } не работает в отделе «{ $department }»
bulk-refused-other = не изменено
notice-already-closed = Обращение уже закрыто.
notice-not-resolved = Оценить обращение целиком можно, только когда оно решено или закрыто.
notice-split-last-message = Единственное сообщение обращения нельзя выделить в новое.
notice-merged-away = Это обращение объединено с другим; работайте с тем.
notice-reopen-window-passed = Обращение закрыто слишком давно, его нельзя открыть снова.
notice-own-account = Нельзя отключить собственную учётную запись.
stale-live = Пока вы смотрели, обращение изменилось.
stale-reload = Показать новое состояние

mail-verify-subject = Подтвердите адрес для службы поддержки
mail-verify-intro = Кто-то — надеемся, вы — завёл учётную запись службы поддержки с этим адресом. Откройте ссылку в течение двух суток, чтобы подтвердить его; тогда обращения, отправленные вами по почте, появятся в учётной записи:
mail-verify-button = Подтвердить адрес
mail-verify-ignore = Если это были не вы, просто удалите письмо: эта учётная запись не увидит вашу почту.
verify-title = Подтвердите адрес
verify-lead = Подтвердите, что { $email } — ваш адрес. Тогда обращения, отправленные или отвеченные с него по почте, появятся в учётной записи.
verify-submit = Подтвердить
verify-unconfirmed = Ваш адрес ещё не подтверждён: обращения, отправленные вами по почте, не видны здесь, пока вы не откроете ссылку из нашего письма.
verify-resend = Отправить ссылку ещё раз
notice-address-confirmed = Адрес подтверждён.
notice-verify-sent = Ссылка для подтверждения отправлена. Проверьте почту.
notice-verify-expired = Срок действия ссылки истёк. Войдите и запросите новую.

spam-block = Спам: закрыть и заблокировать отправителя
spam-hint = Обращение закроется; следующие письма с { $email } будут ждать администратора и не попадут в обращения.
notice-spam-blocked = Обращение закрыто, отправитель заблокирован.
admin-blocked-title = Заблокированные отправители
admin-blocked-empty = Заблокированных отправителей нет.
admin-unblock = Разблокировать
notice-unblocked = Отправитель снова может писать.
notice-mail-done = Это письмо уже разобрано.

remote-image-blocked = [внешнее изображение заблокировано]
remote-images-load = Загрузить внешние изображения
remote-images-warning = Серверы отправителя увидят, что письмо открыли, и откуда.

delivery-attempts = { $n ->
    [one] { $n } попытка
    [few] { $n } попытки
   *[many] { $n } попыток
}

# Тексты писем по отделам и языкам (консоль администратора)
admin-mail-texts = Тексты писем
admin-mail-texts-link-hint = Подтверждение обращения, ответ сотрудника, письмо о решении и письмо для установки пароля, на каждом языке.
admin-mail-texts-intro = Что клиенты отдела «{ $department }» получают по почте. Текст, который никто не менял, — стандартный: он обновляется вместе с Bilet.
admin-mail-text-mail = Письмо
admin-mail-text-edit = Изменить
admin-mail-text-default = Стандартный
admin-mail-text-customised = Свой
admin-mail-text-default-hint = Отдел отправляет стандартный текст. После сохранения изменений у отдела будет свой текст.
admin-mail-text-customised-hint = Отдел отправляет свой текст. «Вернуть стандартный» снова включает стандартный.
admin-mail-text-kind-acknowledgement = Подтверждение нового обращения
admin-mail-text-kind-claim = Ссылка для установки пароля клиентам, писавшим по почте
admin-mail-text-when-acknowledgement = Отправляется, когда клиент открывает обращение — по почте или на портале, если подтверждения не выключены в настройках.
admin-mail-text-when-claim = Отправляется, когда человек, писавший только по почте, просит установить пароль; ссылка действует сутки. Он получает текст отдела своего последнего обращения.
admin-mail-text-subject = Тема
admin-mail-text-subject-tag-hint = Метка обращения, например [#1042], всегда ставится в начало, чтобы ответы попадали в своё обращение.
admin-mail-text-body = Текст
admin-mail-text-body-hint = Пустая строка начинает новый абзац. HTML-часть письма делается из этого текста, ссылки в ней кликабельны.
admin-mail-text-preview = Предпросмотр
admin-mail-text-preview-title = Предпросмотр
admin-mail-text-preview-hint = С примерами вместо подстановок. Пока ничего не сохранено.
admin-mail-text-preview-plain = Обычный текст
admin-mail-text-preview-html = HTML
admin-mail-text-reset = Вернуть стандартный
admin-mail-text-reset-title = Вернуть стандартный текст?
admin-mail-text-reset-question = Отдел «{ $department }» перестанет отправлять свой текст письма «{ $mail }» и снова будет отправлять стандартный. Свой текст удаляется.
admin-mail-text-shipped = Стандартный текст
notice-mail-text-reset = Снова отправляется стандартный текст.
mail-text-sample-customer = Ольга Иванова
mail-text-sample-subject = Принтер не печатает
mail-text-placeholders-acknowledgement = customer.name, department.name, ticket.number, ticket.subject, ticket.link
mail-text-placeholders-claim = customer.name, department.name, claim.link
mail-text-placeholders-reply = reply.body, customer.name, agent.name, department.name, ticket.number, ticket.subject, ticket.link
mail-text-placeholders-resolved = customer.name, department.name, ticket.number, ticket.subject, ticket.link, rating.links
mail-text-placeholders-subject = customer.name, department.name, ticket.number, ticket.subject
mail-text-placeholders-subject-reply = customer.name, agent.name, department.name, ticket.number, ticket.subject
mail-text-placeholders-subject-claim = customer.name, department.name
mail-text-sample-agent = Анна Смирнова
mail-text-sample-reply = Мы перезапустили сервер печати. Попробуйте ещё раз и напишите, заработало ли.
error-mail-text-reply-required = Текст должен содержать { $name }: это слова сотрудника с его подписью.
admin-mail-text-kind-reply = Ответ сотрудника
admin-mail-text-kind-resolved = Обращение решено, со ссылками для оценки
admin-mail-text-when-reply = Отправляется с каждым ответом сотрудника клиенту. {"{{reply.body}}"} — текст сотрудника с его подписью.
admin-mail-text-when-resolved = Отправляется, когда сотрудник решает обращение. {"{{rating.links}}"} — пять ссылок, которыми клиент оценивает ответ без входа.
error-mail-text-required = Заполните это поле.
error-mail-text-too-long = Не больше { $n } символов.
error-mail-text-placeholder = { $name } — не подстановка этого письма. Используйте { $list } в двойных фигурных скобках.
error-mail-text-link-required = Текст должен содержать { $name }: без этого письмо бесполезно.

## Журнал изменений (администратор)
audit-filters = Отбор записей журнала
audit-filter-person = Кто
audit-filter-kind = Что произошло
audit-filter-from = С
audit-filter-to = По
audit-filter-submit = Показать
audit-filter-clear = Сбросить отбор
audit-anyone = Все
audit-by-bilet = Сам Bilet (автоматически)
audit-any-kind = Всё
audit-empty = Пока ничего не записано.
audit-empty-filtered = Под эти условия не подходит ни одна запись.
audit-newest = Самые новые
audit-older = Более ранние записи
audit-deleted-ticket = удалённое обращение
audit-unknown-name = (название не записано)
audit-value-empty = (нет)
audit-change = { $field } { $old } → { $new }
audit-change-set = { $field }: { $new }
audit-changed = { $actor } изменил(а) { $object }: { $changes }
audit-edited = { $actor } отредактировал(а) { $object }
audit-object-settings = настройки
audit-object-department = отдел «{ $name }»
audit-object-account = учётную запись { $name }
audit-object-topic = тему обращения «{ $name }»
audit-object-canned = шаблон ответа «{ $name }»
audit-field-helpdesk-name = название службы поддержки
audit-field-default-language = язык по умолчанию
audit-field-max-file = наибольшее вложение
audit-field-max-message = все вложения одного сообщения
audit-field-name = название
audit-field-person-name = имя
audit-field-slug = короткое имя
audit-field-addresses = адреса
audit-field-customer-visible = виден клиентам
audit-field-role = роль
audit-field-grants = отделы
audit-field-title = название
audit-department-created = { $actor } создал(а) отдел «{ $name }»
audit-topic-created = { $actor } создал(а) тему обращения «{ $name }»
audit-topic-deleted = { $actor } удалил(а) тему обращения «{ $name }»
audit-product-created = { $actor } добавил(а) продукт или услугу «{ $name }»
audit-product-shown = { $actor } снова показал(а) «{ $name }» на портале
audit-product-hidden = { $actor } скрыл(а) «{ $name }» с портала
audit-canned-created = { $actor } создал(а) шаблон ответа «{ $name }»
audit-canned-deleted = { $actor } удалил(а) шаблон ответа «{ $name }»
audit-mailbox-created = { $actor } добавил(а) почтовый ящик «{ $name }» ({ $server })
audit-rule-sender-domain = письма с домена { $pattern }
audit-rule-subject-contains = письма со словами «{ $pattern }» в теме
audit-mail-rule-created = { $actor } добавил(а) правило маршрутизации: { $rule } → { $department }
audit-mail-rule-deleted = { $actor } удалил(а) правило маршрутизации
audit-mail-sender-unblocked = { $actor } разблокировал(а) отправителя { $address }
audit-mail-text-saved = { $actor } изменил(а) письмо «{ $mail }» отдела «{ $department }» ({ $language })
audit-mail-text-reset = { $actor } вернул(а) письму «{ $mail }» отдела «{ $department }» ({ $language }) исходный текст
audit-ticket-opened = { $actor } открыл(а) { $ticket }
audit-ticket-opened-via = { $actor } открыл(а) { $ticket } { $via }
audit-via-web = на портале
audit-via-email = по почте
audit-via-agent = от имени клиента
audit-via-api = через API
audit-ticket-merged = { $actor } присоединил(а) { $ticket } к { $into }
audit-ticket-split = { $actor } выделил(а) сообщение из { $ticket } в { $into }
audit-ticket-transferred = { $actor } передал(а) { $ticket } из отдела «{ $from }» в отдел «{ $to }»
audit-account-registered = { $actor }: регистрация с адресом { $email }
audit-account-address-confirmed = { $actor } подтвердил(а) адрес { $email }
audit-account-created = { $actor } создал(а) учётную запись { $name } ({ $email }, { $role })
audit-account-password-changed = { $actor } сменил(а) свой пароль
audit-account-claimed = { $actor } задал(а) пароль к учётной записи, которая была только для почты
audit-staff-disabled = { $actor } отключил(а) учётную запись { $name }
audit-staff-enabled = { $actor } снова включил(а) учётную запись { $name }
audit-staff-password-reset = { $actor } сбросил(а) пароль учётной записи { $name }
audit-generic = { $actor }: { $what }
audit-generic-ticket = { $actor }: { $what }, { $ticket }
audit-kind-account-address-confirmed = Подтверждение адреса
audit-kind-account-claimed = Пароль для учётной записи из почты
audit-kind-account-created = Создание учётной записи
audit-kind-account-password-changed = Смена пароля
audit-kind-account-registered = Регистрация клиента
audit-kind-canned-created = Создание шаблона ответа
audit-kind-canned-deleted = Удаление шаблона ответа
audit-kind-canned-updated = Изменение шаблона ответа
audit-kind-department-created = Создание отдела
audit-kind-department-updated = Изменение отдела
audit-kind-mail-sender-unblocked = Разблокировка отправителя
audit-kind-mail-rule-created = Новое правило маршрутизации
audit-kind-mail-rule-deleted = Удаление правила маршрутизации
audit-kind-mail-text-reset = Возврат исходного текста письма
audit-kind-mail-text-saved = Изменение текста письма
audit-kind-mailbox-created = Новый почтовый ящик
audit-kind-product-created = Новый продукт или услуга
audit-kind-product-hidden = Скрытие продукта
audit-kind-product-shown = Показ продукта
audit-kind-settings-changed = Изменение настроек
audit-kind-staff-disabled = Отключение учётной записи
audit-kind-staff-enabled = Включение учётной записи
audit-kind-staff-password-reset = Сброс пароля администратором
audit-kind-staff-updated = Изменение сотрудника
audit-kind-ticket-merged = Объединение обращений
audit-kind-ticket-opened = Новое обращение
audit-kind-ticket-split = Разделение обращения
audit-kind-ticket-transferred = Передача в другой отдел
audit-kind-topic-created = Создание темы обращения
audit-kind-topic-deleted = Удаление темы обращения
audit-kind-topic-updated = Изменение темы обращения

## Mailbox connection check and failing outgoing mail (admin)
mail-problem-host-not-found = Сервер с именем { $name } не найден. Проверьте, нет ли опечатки.
mail-problem-refused = { $name } отклонил подключение. Проверьте порт и то, что сервер принимает на нём подключения.
mail-problem-timeout = { $name } не ответил вовремя. Проверьте имя сервера и порт, а также не мешает ли брандмауэр.
mail-problem-tls = Не удалось установить защищённое соединение с { $name }. Проверьте, подходит ли способ шифрования к порту (IMAP: TLS на 993, STARTTLS на 143; SMTP: TLS на 465, STARTTLS на 587).
mail-problem-login-refused = { $name } не принял имя пользователя или пароль.
mail-problem-folder-missing = В этом ящике нет папки «{ $name }». Проверьте написание; обычно это INBOX.
mail-problem-not-configured = Для отправки не настроен почтовый сервер: добавьте почтовый ящик для отдела этого обращения или задайте mail.smtp в конфигурации.
mail-problem-rejected = { $name } не принял это письмо.
mail-problem-other = Не удалось связаться с { $name }; причина — в технических подробностях.
error-department-from-address = Ни у одного отдела нет этих адресов. Выберите отдел.
admin-department-from-address = — по адресу ящика —
admin-department-from-address-hint = Если оставить «по адресу ящика», выбирается отдел, чей адрес получает этот ящик.
admin-mailbox-check-hint = Перед сохранением Bilet входит на IMAP-сервер, чтобы проверить настройки (не дольше 10 секунд).
admin-mailbox-unreachable = Bilet не смог войти в этот ящик, поэтому он ещё не сохранён. Исправьте настройки и проверьте снова или сохраните всё равно: тогда каждая проверка ящика будет пробовать снова, а в списке будет видно, что не так.
admin-mailbox-check-again = Проверить и создать
admin-mailbox-save-anyway = Всё равно сохранить
admin-mailbox-save-anyway-hint = «Всё равно сохранить» сохраняет ящик как введено, без работающего подключения. Когда сервер станет доступен, нажмите «Проверить подключение» в списке.
admin-password-kept = Введённый пароль сохранён в форме. Вводите его заново, только чтобы изменить.
admin-error-detail = Технические подробности
admin-test-imap-ok = Вход выполнен; в папке { $name } { $n ->
    [one] { $n } письмо
    [few] { $n } письма
   *[other] { $n } писем
}.
admin-test-smtp-ok = Сервер ответил.
admin-incoming-title = Входящая почта
admin-outgoing-title = Исходящие письма, которые не уходят
admin-outgoing-lead = Ответы и уведомления, которые почтовый сервер ещё не принял (попытки повторяются со всё большими паузами) или отправку которых Bilet прекратил. Устраните причину и повторите.
admin-outgoing-empty = Вся исходящая почта уходит.
admin-outgoing-more = Показаны последние { $shown } из { $total }.
admin-outgoing-ticket = Обращение
admin-outgoing-to = Кому
admin-outgoing-attempts = Попытки
admin-outgoing-next = Следующая попытка
admin-outgoing-error = Последняя ошибка
admin-outgoing-given-up = Отправка прекращена
admin-outgoing-retry = Повторить сейчас
admin-outgoing-no-error = Ждёт следующей попытки.
notice-outgoing-retry = Письмо снова в очереди; оно уйдёт при следующем проходе отправки.

## Search
search-label = Поиск обращений
search-placeholder = Слова, "фраза", from:, agent:, dept:, status:, after:, #123
search-hint = Находятся все формы слова: «сервер» найдёт «сервера». Операторы: from: agent: dept: subject: status: priority: after:2026-11-01 before: has:attachment #123, -слово — исключить.
search-found = { $n ->
    [one] Найдено { $count } обращение
    [few] Найдено { $count } обращения
   *[other] Найдено { $count } обращений
}
search-rebuilding = Поисковый индекс перестраивается: несколько минут часть обращений может не находиться.
search-advanced = Расширенный поиск
search-adv-content = Слова в сообщениях
search-adv-subject = Тема
search-adv-requester = Автор обращения (имя или адрес)
search-adv-agent = Сотрудник
search-adv-department = Отдел
search-adv-after = Созданы с
search-adv-before = Созданы до
search-problem-too-long = Поиск обрезан до первых { $n } символов.
search-problem-quote = Кавычка не закрыта: остаток искали как фразу.
search-problem-status = «{ $value }» — не статус; используйте open, pending, resolved или closed (или открыт, ожидает, решён, закрыт).
search-problem-priority = «{ $value }» — не приоритет; используйте low, normal, high или urgent.
search-problem-has = «has:{ $value }» неизвестно; используйте has:attachment.
search-problem-date = «{ $value }» — не дата; используйте 2026-11-30 или 30.11.2026.
search-problem-too-many = В поиске слишком много слов: { $n } не учтены.
search-problem-exclude = Исключить через «-» можно только слова и фразы.
search-problem-date-range = Дата «после» не раньше даты «до», поэтому ничего не найдётся.
search-problem-department = Отдела «{ $value }» нет.
sort-relevance = Сначала самые подходящие
workspace-save-open = Сохранить этот поиск как очередь
time-zone-filter = Найти часовой пояс: город, регион или смещение

## service levels and escalation
span-minutes = { $n } мин
span-hours = { $n } ч
span-days = { $n } дн.
sla-due-in = через { $span }
sla-overdue-by = просрочено на { $span }
sla-heading = Уровень обслуживания
sla-paused = Отсчёт приостановлен, пока ждём ответа клиента.
sla-target-first_response = Первый ответ
sla-target-next_response = Следующий ответ
sla-target-resolution = Решение
queue-sla = Срок
filter-overdue = Только просроченные
sort-due_soonest = Сначала с ближайшим сроком (только со сроком)
workspace-overdue = Просроченные
queue-empty-overdue = Просроченных обращений нет. Здесь собираются обращения, у которых прошёл срок по уровню обслуживания, самые просроченные — первыми.
event-sla-warning = Уровень обслуживания: { $target } — скоро срок; руководители уведомлены
event-sla-breach = Уровень обслуживания: { $target } — срок пропущен; руководители уведомлены
mail-sla-warning-subject = Скоро срок: { $target } — «{ $subject }»
mail-sla-warning = Обращение #{ $number } «{ $subject }» ({ $department }). { $target }: срок — { $due }, { $when }.
mail-sla-breach-subject = Просрочено: { $target } — «{ $subject }»
mail-sla-breach = Обращение #{ $number } «{ $subject }» ({ $department }). { $target }: срок был { $due }, { $when }.
nav-notifications = Оповещения
bell-title = Оповещения
bell-unread = { $n ->
    [one] { $n } непрочитанное оповещение.
    [few] { $n } непрочитанных оповещения.
   *[many] { $n } непрочитанных оповещений.
}
bell-read-all = Отметить все прочитанными
bell-empty = Оповещений нет. Когда у обращения отдела, которым вы руководите, подходит или проходит срок, вы узнаете об этом здесь и по почте.
bell-new = Новое
bell-sla-warning = #{ $number } «{ $subject }»: скоро срок — { $target }
bell-webhook-disabled = Вебхук { $url } выключен: { $reason }
bell-webhook-reason-gone = приёмник ответил 410 Gone
bell-webhook-reason-failing = доставки не проходили три дня
bell-sla-breach = #{ $number } «{ $subject }»: просрочено — { $target }
notice-notifications-read = Все оповещения отмечены прочитанными.

## statistics
nav-statistics = Статистика
stats-title = Статистика
stats-from = С
stats-to = По
stats-department = Отдел
stats-all-departments = Все мои отделы
stats-per = Динамика по
stats-per-day = дням
stats-per-week = неделям
stats-show = Показать
stats-csv = Скачать CSV
stats-zone-note = Дни считаются в часовом поясе службы поддержки: { $zone }. Время отсчитывается от создания заявки; рабочее время — по рабочим часам отдела.
stats-summary = Итоги за период
stats-handled = Заявок обработано
stats-replies = Ответов отправлено
stats-median-first-response = Медиана первого ответа
stats-median-resolution = Медиана решения
stats-compliance = SLA выполнено
stats-sla-counts = выполнено { $met } из { $total } сроков
stats-rating-average = Средняя оценка
stats-rated = { $n ->
    [one] { $n } оценка
    [few] { $n } оценки
   *[other] { $n } оценок
}
stats-ratings = Оценки
stats-stars = { $n ->
    [one] { $n } звезда
    [few] { $n } звезды
   *[other] { $n } звёзд
}
stats-trend = Динамика
stats-trend-daily = Обработанные заявки и отправленные ответы по дням
stats-trend-weekly = Обработанные заявки и отправленные ответы по неделям
stats-numbers = Числа, по которым построен график
stats-day = День
stats-week-of = Неделя с
stats-by-department = По отделам
stats-by-agent = По сотрудникам
stats-first-response-wall = Первый ответ, календарное время
stats-first-response-business = Первый ответ, рабочее время
stats-resolution-wall = Решение, календарное время
stats-resolution-business = Решение, рабочее время
stats-median = Медиана
stats-average = Среднее
stats-p90 = 90-й процентиль
stats-distribution = Оценки по числу звёзд
stats-comments = Последние комментарии
stats-no-comments = За этот период нет оценок с комментарием.
stats-empty = За этот период пока ничего нет. Выберите период длиннее или другой отдел.
stats-nobody = Не назначено
stats-minutes = { $m } мин
stats-hours = { $h } ч { $m } мин
stats-days = { $d } дн. { $h } ч
stats-error-range = Выберите период не длиннее двух лет.

## sla console and rating links
error-calendar-no-hours = Укажите хотя бы один рабочий период, например mon-fri 09:00-18:00.
error-zone-unknown = «{ $name }» — не часовой пояс. Укажите название вроде Europe/Moscow.
error-hours-unreadable = Не удалось разобрать «{ $name }». Пишите дни и время так: mon-fri 09:00-18:00; sat 10:00-14:00.
error-hours-empty-range = Период { $name } заканчивается не позже, чем начинается.
error-hours-overlap = Рабочие часы пересекаются в день { $name }.
error-holiday-overlap = Выходной { $name } указан больше одного раза.
error-holiday-date = «{ $name }» — не дата. Пишите так: 2027-01-01.
error-calendar-name-taken = Календарь с таким названием уже есть.
error-calendar-name-too-long = Название слишком длинное: не больше { $n } символов.
error-calendar-unknown = Календаря «{ $name }» нет.
error-target-empty = Укажите срок, например 30m, 4h или 2d.
error-target-zero = Нулевой срок будет нарушен всегда. Укажите срок, например 30m, 4h или 2d.
error-target-unreadable = «{ $name }» — не срок. Укажите рабочие минуты, часы или дни: 30m, 4h, 2d.
error-target-too-large = Срок «{ $name }» слишком большой: не больше 365d, 10000h или 100000m.
error-manager-not-staff = { $name } — не сотрудник. Руководителями могут быть только агенты и администраторы.
error-breach-assignee-not-staff = { $name } — не сотрудник. Назначать обращения можно только агентам и администраторам.
error-breach-assignee-elsewhere = { $name } не работает в отделе, где к тому времени будет обращение. Дайте этому сотруднику доступ к отделу или выберите другого.
error-priority-unknown = «{ $name }» — не приоритет. Используйте low, normal, high или urgent.
admin-department-managers = Руководители
admin-department-managers-hint = Руководители сразу узнают, когда обращение отдела нарушает срок, и видят статистику отдела. Только сотрудники; можно выбрать нескольких.
rate-link-title = Оцените ответ на ваше обращение
rate-link-ticket = Обращение №{ $number }
rate-link-submit = Отправить оценку
rate-link-change = Оценку ещё можно изменить: выберите снова и отправьте.
rate-link-fixed = Эту оценку уже нельзя изменить.
rate-link-not-resolved = Обращение снова открыто, поэтому оценить его сейчас нельзя. Мы попросим об оценке, когда оно будет решено.
rate-link-expired = Срок действия ссылки для оценки истёк: такие ссылки работают 30 дней.
rate-link-invalid = Ссылка для оценки недействительна. Возможно, её обрезали при копировании или она заменена после смены пароля.
rate-link-sign-in = Оценить обращение можно и после входа:
rate-link-my-tickets = Мои обращения
mail-resolved-intro = Ваше обращение №{ $number } решено:
mail-resolved-rate = Как мы справились? Каждая ссылка ниже открывает страницу, где вы подтвердите оценку и сможете добавить комментарий:
mail-resolved-reopen = Если проблема не решена, просто ответьте на это письмо — обращение откроется снова.

## sla admin pages
admin-sla = Уровни обслуживания
admin-sla-lead = Сроки для каждого отдела и приоритета. Они отсчитываются в рабочие часы календаря отдела, а если календаря нет — круглосуточно.
admin-sla-departments = Отделы
admin-sla-calendar = Календарь
admin-sla-always = Круглосуточно (24/7)
admin-sla-priority = Приоритет
admin-sla-any-priority = Любой приоритет
admin-sla-warn-before = Предупредить за
admin-sla-on-breach = При нарушении срока
admin-sla-no-targets = Сроки не заданы: у обращений этого отдела нет крайних сроков.
admin-sla-breach-raise = Повысить приоритет до уровня «{ $name }»
admin-sla-breach-assign = Назначить сотруднику { $name }
admin-sla-breach-move = Перевести в отдел { $name }
admin-sla-edit-targets = Изменить уровень обслуживания отдела «{ $name }»
admin-sla-calendars = Календари
admin-sla-calendars-empty = Календарей пока нет: все отделы считают время круглосуточно.
admin-sla-calendar-new = Новый календарь
admin-sla-calendar-edit = Изменение календаря
admin-sla-calendar-name = Название
admin-sla-zone = Часовой пояс
admin-sla-zone-hint = Название из базы часовых поясов, например Europe/Moscow или Asia/Yekaterinburg.
admin-sla-hours = Рабочие часы
admin-sla-hours-hint = Дни недели (mon, tue, wed, thu, fri, sat, sun) и время; периоды разделяются точкой с запятой: mon-fri 09:00-18:00; sat 10:00-14:00
admin-sla-holidays = Праздничные дни
admin-sla-holidays-hint = По одной дате в строке, в виде 2027-01-01. В эти дни рабочее время не идёт.
admin-sla-holidays-count = { $n ->
    [one] { $n } праздничный день
    [few] { $n } праздничных дня
   *[other] { $n } праздничных дней
}
admin-sla-used-by = Используется отделами: { $list }
admin-sla-unused = Этот календарь пока не выбран ни в одном отделе.
admin-sla-department-title = Уровень обслуживания: { $name }
admin-sla-calendar-none = нет — круглосуточно (24/7)
admin-sla-calendar-hint = Сроки отсчитываются только в рабочие часы этого календаря; без календаря — круглосуточно.
admin-sla-targets = Сроки
admin-sla-targets-hint = Рабочее время в виде 30m, 4h или 2d; оставьте поле пустым, если срока нет. Приоритет, у которого ничего не заполнено, следует строке «Любой приоритет».
admin-sla-breach-hint = При нарушении срока руководители отдела получают уведомление всегда; действия ниже выполняются дополнительно.
admin-sla-raise = Повысить приоритет до уровня
admin-sla-assign = Назначить сотруднику
admin-sla-move = Перевести в отдел
admin-sla-action-none = — ничего —

## data protection
audit-kind-customer-exported = Данные клиента выгружены
message-erased = Сообщение удалено по просьбе клиента.
customer-erased-name = Удалённый клиент
audit-kind-customer-erased = Клиент удалён
audit-kind-ticket-erased = Данные клиента удалены из обращения
admin-customers = Клиенты
admin-customers-intro = Найдите клиента по адресу, чтобы выгрузить всё, что Bilet о нём хранит, или удалить его данные — закон о персональных данных даёт ему такое право.
admin-customer-email = Адрес
admin-customer-find = Найти
admin-customer-missing = Клиента с адресом { $email } нет. Учётные записи сотрудников — в разделе «Сотрудники».
admin-customer-addresses = Адреса
admin-customer-tickets = Обращения
admin-customer-since = Клиент с
admin-customer-export = Его данные
admin-customer-export-hint = Один файл .tar: профиль, все обращения клиента в том виде, в каком он их видит (без внутренних заметок), и все приложенные к ним файлы. Выгрузка записывается в журнал аудита.
admin-customer-export-button = Скачать данные клиента
admin-customer-erase = Удалить данные клиента
admin-customer-erase-hint = Удаляет всё, что клиент написал и что написали ему, его файлы, исходные письма, адреса и пароль. Обращения остаются под именем «Удалённый клиент» для статистики. Отменить нельзя.
admin-customer-erase-title = Удалить данные клиента безвозвратно?
admin-customer-erase-question = Всё, что { $email } написал(а) и что написали ему или ей в обращениях (их { $tickets }), будет удалено вместе с файлами, исходными письмами, адресами и паролем. Обращения останутся под именем «Удалённый клиент». Отменить нельзя.
notice-customer-erased = Данные клиента удалены.
mail-webhook-disabled-subject = Вебхук отключён: { $url }
mail-webhook-disabled = Bilet перестал отправлять события на { $url }: { $reason }.
mail-webhook-disabled-next = Изменения, сделанные, пока он отключён, ему не отправляются; лента событий API (GET /api/v1/events) хранит их в пределах срока хранения журнала. Когда получатель снова заработает, откройте вебхук и нажмите «Включить снова»:
