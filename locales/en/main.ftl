# Bilet — English. Every visible string; Russian mirrors these keys.
# A new language: copy this file to locales/<code>/main.ftl and translate.

language-name = English
app-name = Bilet

## Layout

skip-to-content = Skip to content
nav-label = Main
nav-my-tickets = My tickets
nav-workspace = Workspace
nav-admin = Admin
nav-sign-in = Sign in
nav-sign-out = Sign out
language-switch = Language
language-browser = As my browser says

## Notices after an action

notice-signed-out = You are signed out.
notice-signed-out-everywhere = You are signed out on every device.
notice-welcome = Welcome! Your account is ready.
notice-webhook-enabled = The webhook is enabled again; what waited goes out now.
notice-webhook-removed = The webhook is removed. Nothing more is sent to it.
notice-webhook-resent = Queued to be sent again.
notice-token-revoked = The token is revoked. Requests with it are refused from now on.
notice-saved = Saved.
notice-password-changed = Your password is changed. Other devices were signed out.
notice-session-ended = That session has ended.

## Errors

error-summary-title = There is a problem
error-title = Something went wrong
error-not-found-title = Page not found
error-forbidden-title = Not allowed
error-not-found = There is nothing here, or you do not have access to it.
error-forbidden = You are not allowed to do this.
error-conflict = Someone changed this in the meantime. Reload the page and try again.
error-throttled = Too many failed attempts. Wait a few minutes and try again.
error-busy = The helpdesk is very busy right now. Please try again in a moment.
error-invalid = The form could not be read. Go back and try again.
error-form-only = This address only receives forms, so there is nothing to show here. Go back to the page you were on; what you typed may still be there.
error-internal = Something went wrong on our side. Please try again in a moment.
error-csrf = This form has expired or did not come from this site. Go back, reload the page and send it again.
error-too-large = What you sent is too large.
error-request-id = If it keeps happening, tell support this reference: { $id }
error-go-home = Go to the start page
error-login-failed = The email address or password is wrong.
error-account-disabled = This account is disabled. Contact the helpdesk team.
error-email-invalid = Enter an email address like name@example.com.
error-placeholder-unknown = { $name } is not a placeholder. Use agent.name, department.name, ticket.number or customer.name, each in double braces.
error-email-taken = There is already an account with this address. Sign in instead.
error-name-required = Enter your name.
error-name-too-long = The name is too long: use at most 200 characters.
error-password-too-short = The password is too short: use at least { $n } characters.
error-password-too-long = The password is too long.
error-current-password-wrong = The current password is wrong.
error-password-unchanged = Choose a password different from the current one.
error-locale-unknown = Choose a language from the list.
error-time-zone-unknown = Choose a time zone from the list.
error-department-unknown = There is no such department.
error-token-name = Give the token a name of at most 100 characters.
error-token-name-taken = A live token already has this name.
error-webhook-url = Give a full http:// or https:// address (at most 2,000 characters).
error-webhook-url-credentials = Leave the user name and password out of the address: every delivery is signed instead.
error-webhook-events = Choose at least one event.
error-token-user = There is no enabled staff member with this address.
error-slug-invalid = Use lowercase letters, digits and hyphens only.
error-slug-taken = Another department already uses this short name.
error-address-taken = Another department already uses this address.

## Forms

field-email = Email address
field-password = Password
field-name = Your name
field-current-password = Current password
field-new-password = New password
field-language = Language
field-time-zone = Time zone
password-hint = At least { $n } characters. A few unrelated words make a good one.

## Sign in and registration

login-title = Sign in
login-submit = Sign in
login-no-account = No account yet?
login-register-link = Create one
register-title = Create an account
register-lead = With an account you can open tickets and follow every answer.
register-submit = Create account
register-have-account = Already have an account?

## Account

account-title = Your account
account-save = Save
time-zone-default = The helpdesk's time zone
tz-region-africa = Africa
tz-region-america = Americas
tz-region-antarctica = Antarctica
tz-region-arctic = Arctic
tz-region-asia = Asia
tz-region-atlantic = Atlantic Ocean
tz-region-australia = Australia
tz-region-europe = Europe
tz-region-indian = Indian Ocean
tz-region-pacific = Pacific Ocean
tz-region-other = Other
password-title = Change password
password-must-change = You signed in with a one-time password. Choose your own password to continue.
password-other-sessions-end = Changing the password signs you out on every other device.
password-submit = Change password
sessions-title = Where you are signed in
sessions-this-one = This device
session-device = { $browser } on { $system }
session-device-unknown = Another device
sessions-address = from { $address }
sessions-last-seen = active { $when }
sessions-started = signed in { $when }
sessions-end = Sign out there
sessions-sign-out-everywhere = Sign out everywhere

## Tickets

status-open = Open
status-pending = Waiting on customer
status-resolved = Resolved
status-closed = Closed

# Short labels for the queue's status pills (the full one is in the title).
status-short-open = Open
status-short-pending = Pending
status-short-resolved = Resolved
status-short-closed = Closed

# Statuses as the customer reads them (agents see status-*).
customer-status-open = Open
customer-status-pending = Waiting for your reply
customer-status-resolved = Solved
customer-status-closed = Closed

## Areas

portal-title = My tickets
portal-empty = You have no tickets yet. When you write to support, your tickets appear here.
agent-title = Workspace
agent-empty = No tickets here. Tickets of the departments you work in appear here.
admin-title = Administration
admin-departments = Departments
admin-departments-empty = No departments yet. Create one with `bilet department add`.
admin-department-name = Name
admin-department-slug = Short name
admin-department-addresses = Addresses

## Portal: lists

portal-new-ticket = New ticket
portal-search-label = Search my tickets
search-submit = Search
portal-no-results = No tickets match “{ $q }”.
portal-open-tickets = Open
portal-closed-tickets = Resolved and closed
pager-next = Older tickets
portal-support-replied = Support replied
portal-support-name = Support — { $name }

## Portal: new ticket

new-ticket-title = New ticket
new-ticket-no-topics = Tickets cannot be opened here yet. Please write to us by email.
new-ticket-topic-question = What is it about?
new-ticket-change-topic = ← Choose another topic
continue = Continue
optional = (optional)
field-product = Which product or service is it about?
product-none = Not related to a product
field-subject = Subject
subject-hint = One line that names the problem, for example “Site example.com shows error 502 since 10:00”.
subject-limit = At most { $n } characters.
subject-count = Characters so far: { $n }
field-description = Description
description-hint = What exactly happens, since when, what changed just before, and what you already tried.
field-attachments = Attachments
attachments-hint = Screenshots (PNG, GIF, JPEG), PDF, or text files such as command output (.txt, .log). Up to { $file } MB a file, { $total } MB in all.
attachments-kept = These files are already attached (untick one to leave it out):
new-ticket-submit = Send ticket
similar-title = Is it the same problem?
similar-text = You already have ticket #{ $number }:
similar-add = Add this message to #{ $number }
similar-new = Open a new ticket anyway

## Portal: ticket page

created-title = Ticket #{ $number } is open
# The mail may still be in the outbox: not "we have sent".
created-next-mail = A confirmation is on its way to your email address.
created-next = Support answers tickets in the order they arrive; every answer appears here and comes to you by email. You can reply to that email too.
continued-in = This ticket was closed; the conversation continues in
continues = This ticket continues
conversation = Conversation
rate-reply = Rate this reply:
stars-n = { $n ->
    [one] { $n } star
   *[other] { $n } stars
}
rating-title = How did we do?
rating-question = Your rating
rating-hint = One click on a star rates the answer; a comment is welcome but optional.
rating-save-comment = Save comment
rating-given = You rated this ticket { $n } out of 5.
stars-label-1 = 1 — Poor
stars-label-2 = 2 — Fair
stars-label-3 = 3 — Good
stars-label-4 = 4 — Very good
stars-label-5 = 5 — Excellent
field-comment = Comment
reply-title = Reply
portal-reply-reopens = This ticket is resolved. Replying reopens it.
portal-reply-new-ticket = This ticket was closed long ago. Your reply will open a new ticket linked to this one.
field-message = Your message
reply-submit = Send reply
solved-button = My problem is solved

## Portal: claiming an account

login-claim = Wrote to us by email before?
login-claim-link = Set a password for your address
claim-title = Set a password
claim-lead = If you have written to us by email, enter that address. We will send you a link to set a password, so that you can follow your tickets here.
claim-submit = Send me the link
claim-password-lead = Choose a password for { $email }.
claim-password-submit = Set password and sign in

notice-reply-added = Your reply was sent.
notice-reopened = Your reply was sent and the ticket is open again.
notice-continued = The old ticket was closed long ago, so your reply opened this new ticket.
notice-closed = The ticket is closed. Thank you!
notice-rated = Thank you for your rating.
notice-rating-fixed = This rating can no longer be changed.
notice-claim-sent = If that address has written to us, a link is on its way. Check your mail.
notice-link-expired = That link has expired or is no longer valid. Sign in, or ask for a new link.

error-topic-unknown = Choose what your ticket is about.
error-product-unknown = Choose a product from the list.
error-subject-required = Enter a subject.
error-subject-too-long = The subject is too long: use at most { $n } characters.
error-body-required = Describe the problem.
error-body-too-long = The text is too long: use at most { $n } characters.
error-prompt-required = Answer “{ $name }”.
error-file-too-large = { $name } is larger than { $n } MB.
error-files-too-large = { $name } does not fit: all attachments together may be at most { $n } MB.
error-file-type = { $name } cannot be attached: only PNG, GIF, JPEG, PDF and text files can.
error-file-not-claimed = { $name } is not { $claimed }: it is { $actual }. Only PNG, GIF, JPEG, PDF and text files can be attached.
claimed-png = a PNG image
claimed-gif = a GIF image
claimed-jpeg = a JPEG image
claimed-pdf = a PDF document
claimed-text = a text file
content-program = a program
content-archive = an archive
content-empty = empty
content-binary = binary data of another kind
error-stars = Choose from 1 to 5 stars.
error-comment-too-long = The comment is too long: use at most { $n } characters.

## Mail

mail-greeting = Hello { $name },
mail-ack-received = we have received your request and opened ticket #{ $number }:
mail-ack-next = Support answers tickets in the order they arrive. You will get every answer by email.
mail-ack-reply-hint = To add something, simply reply to this email and keep the ticket number in the subject.
mail-open-ticket = Open the ticket in your browser:
mail-agent-notice = { $name } wrote:
mail-claim-subject = Set a password for the helpdesk
mail-claim-intro = Someone, hopefully you, asked to set a password for this address. Open this link within a day to choose one:
mail-claim-button = Set a password
mail-claim-ignore = If it was not you, ignore this message: nothing changes.

## Agent workspace

workspaces-label = Workspaces
workspace-mine = Mine, open
workspace-unassigned = Unassigned in my departments
workspace-waiting = Waiting on customer
workspace-closed = Recently closed
workspace-shared = (shared)
workspace-up = Move up
workspace-down = Move down
workspace-delete = Delete
workspace-save-label = Save this search as
workspace-save = Save workspace
workspace-share = Share with
workspace-private = Only for me
workspace-share-with = Share with { $department }
queue-search-results = Search results
queue-empty-mine = Nothing of yours is open. Take a ticket from “Unassigned in my departments”, or press a on an open ticket.
queue-empty-unassigned = No unassigned tickets: every ticket of your departments has someone on it. New tickets appear here first.
queue-empty-waiting = No ticket is waiting on a customer. Replies sent with the status “Waiting on customer” wait here.
queue-empty-closed = Nothing was resolved or closed lately. Tickets you resolve stay here for a week.
queue-empty-search = No ticket matches this search. Try fewer words, another status, or “any time”.
queue-empty-saved = No ticket matches this workspace right now. New matches appear here as they arrive.
queue-select = Select
queue-select-ticket = Select ticket #{ $number }
queue-subject = Subject
queue-requester = Requester
queue-department = Department
queue-status = Status
queue-priority = Priority
queue-assignee = Assignee
queue-activity = Last activity
last-by-customer = from the customer
last-by-agent = from support
pager-more = More
filters = Filters
filter-text = Subject or text
filter-requester = Requester
filter-any = Any
filter-active = Open or waiting
filter-done = Resolved or closed
filter-me = Me
filter-unassigned = Nobody
filter-days = Activity
filter-any-time = Any time
filter-day = Last 24 hours
filter-week = Last 7 days
filter-month = Last 30 days
filter-sort = Order
sort-activity_newest = Latest activity first
sort-activity_oldest = Oldest activity first
sort-created_newest = Newest tickets first
sort-created_oldest = Oldest tickets first
bulk-label = With the selected tickets
bulk-assign-me = Assign to me
bulk-unassign = Unassign
bulk-assign-to = Assign to { $name }
bulk-status = Set status: { $status }
bulk-transfer = Transfer to { $department }
bulk-apply = Apply
agent-new-ticket = New ticket for a customer
agent-new-lead = For a phone call or a chat: the ticket is opened in the customer's name.
customer-email = Customer's email address
customer-name = Customer's name
customer-name-hint = Used when the address is new to the helpdesk.
customer-message = What the customer reported
notify-customer = Mail the customer a confirmation, as if they had written
open-ticket = Open ticket
sound-on = Sound for new messages: on
sound-off = Sound for new messages: off
shortcuts-hint = Press ? for keyboard shortcuts.
shortcuts-title = Keyboard shortcuts
shortcut-move = Next / previous ticket
shortcut-open = Open the ticket
shortcut-reply = Reply
shortcut-note = Internal note
shortcut-assign = Assign the ticket to me
shortcuts-layout = The keys work in any keyboard layout (in Russian, j is the key of о).
shortcut-search = Search
shortcut-send = Send the form you are typing in
shortcut-help = This list
close = Close
live-new-activity = New activity on ticket
live-new-message = A new message arrived.
priority-low = Low
priority-normal = Normal
priority-high = High
priority-urgent = Urgent

## Agent ticket page

show-quoted = Show quoted text
show-formatted = Show as formatted mail
download-original = Original mail (.eml)
delivery-pending = waiting to be sent
delivery-sent = sent
delivery-retrying = retrying
delivery-failed = failed
delivery-bounced = bounced
ticket-requester = Requester
ticket-actions = Ticket actions
nobody = Nobody
someone = Someone
system = Bilet
presence-viewing = { $name } is viewing this ticket
presence-typing = { $name } is typing a reply…
stale-title = The ticket changed while you were writing
stale-text = Someone else answered or changed it. Read the conversation above; your text is still in the box below. Send it again if it still fits.
internal-note = Internal note
role-customer = customer
role-agent = Agent
role-admin = Administrator
source-web = via web
source-email = via email
source-api = via API
source-system = by Bilet
composer-label = Answer
tab-reply = Reply
tab-note = Internal note
canned-label = Canned response
canned-insert = Insert
properties = Properties
properties-save = Save
notice-properties-saved = Saved.
more-actions = More
split-title = Split into a new ticket
split-question = The message moves out of #{ $number } into a new ticket for the same customer. The customer sees both tickets and why.
split-subject = Subject of the new ticket
canned-placeholder = Type to find a response
event-split-from = { $actor } split this off ticket #{ $number }
portal-split-from = Our support team moved your message from ticket #{ $number } into a ticket of its own, so that each question gets its own answer. The earlier ticket:
portal-split-into = One of your messages here was moved into ticket #{ $number } of its own, so that each question gets its own answer:
reply-to-customer = Reply to the customer
signature-preview = Signature added below your reply:
send-and-set = Send and set status
send-reply = Send reply
note-warning = Internal notes are seen by staff only and are never sent to the customer.
add-note = Add internal note
read-only = You may read this ticket, but not answer it.
take-ticket = Take this ticket
change = Change
assign = Assign
transfer-to = Transfer to department
transfer-note = Note for the new department (optional)
transfer = Transfer
merge-into = Merge into ticket number
merge = Merge
split-message = Move a message into a new ticket
split = Split
event-created = { $actor } opened the ticket
event-status = { $actor } changed the status from { $from } to { $to }
event-assigned = { $actor } assigned it to { $to }
event-took = { $actor } took the ticket
event-unassigned = { $actor } removed the assignee
event-transferred = { $actor } transferred it from { $from } to { $to }
event-priority = { $actor } set the priority to { $to }
link-split-out = Split into
link-split-in = Split from
link-merged-out = Merged into
link-merged-in = Merged from
link-related-out = Related to
link-related-in = Related to
link-mentioned-out = Mentions
link-mentioned-in = Mentioned by
link-reopened_as-out = Continued in
link-reopened_as-in = Continues

notice-reply-sent = Your reply is on its way to the customer.
notice-note-added = Internal note added.
notice-status-changed = Status changed.
notice-priority-changed = Priority changed.
notice-assigned = Assignee changed.
notice-transferred = Ticket transferred.
notice-transferred-away = Ticket transferred to a department you do not work in.
notice-split = This ticket was split off from another one.
notice-merged = The tickets were merged into this one.
notice-opened-for-customer = The ticket is open in the customer's name.
notice-stale = Someone changed the ticket meanwhile; nothing was saved. Look again and repeat if it still fits.
notice-nothing-changed = Nothing changed.
notice-bulk-done = Done.
notice-workspace-saved = Workspace saved.
notice-workspace-name-missing = Give the workspace a name.
notice-workspace-deleted = Workspace deleted.
notice-assignee-no-access = That person does not work in this ticket's department.
notice-same-department = The ticket is already in that department.
notice-merge-target = Choose another open ticket you manage to merge into.
notice-department-unknown = There is no such department.
notice-invalid = That did not work.

error-reply-required = Write a reply or attach a file.
error-assignee-no-access = That person does not work in this ticket's department.
error-same-department = The ticket is already in that department.
error-merge-target = Choose another open ticket you manage to merge into.
error-email-staff = This address belongs to staff, not to a customer.
error-title-required = Enter a title.
error-role = Choose agent or administrator.
error-own-admin-role = You cannot take away your own administrator role.
error-manager = Choose a staff member.
error-limit = Enter a whole number of megabytes.
error-limit-total = The total must be at least as large as one file.

## Admin console

admin-staff = Staff
admin-topics = Help topics
admin-products = Products and services
admin-canned = Canned responses
admin-settings = Settings
admin-audit = Audit log
admin-departments-count = { $n ->
    [one] { $n } department
   *[other] { $n } departments
}
admin-staff-count = { $n ->
    [one] { $n } staff member
   *[other] { $n } staff members
}
admin-topics-lead = What customers choose first in the new-ticket form, with guidance and questions.
admin-canned-lead = Ready answers agents insert and adapt.
admin-settings-lead = The helpdesk's name, default language and attachment limits.
admin-audit-lead = Who changed what, and when.
admin-visible = Shown to customers
admin-visible-label = Show to customers in the portal
admin-department-new = New department
admin-slug-hint = Lowercase letters, digits and hyphens; used in addresses and URLs.
admin-addresses-hint = One address per line; the first is the one replies are sent from.
admin-signature = Signature
admin-placeholders-hint = Placeholders: { $list }
admin-manager = Manager
admin-manager-hint = Receives escalations of this department.
admin-staff-new = New staff member
admin-role = Role
admin-state = State
admin-active = Active
admin-disabled = Disabled
admin-is-disabled = This account is disabled: it cannot sign in, and its history stays.
admin-grants = Departments
admin-grants-hint = Read: see the tickets. Reply: also answer and add notes. Manage: also assign, transfer, split, merge and change status.
level-none = No access
level-read = Read
level-reply = Reply
level-manage = Manage
admin-created = Account created for { $email }
admin-one-time-password = One-time password (shown once; it must be changed at the first sign-in):
admin-reset-password = Reset password
admin-disable = Disable account
admin-enable = Enable account
admin-topic-name = Topic
admin-topic-new = New help topic
admin-topic-edit = Edit help topic
admin-guidance = Guidance shown to customers
admin-prompts = Questions
admin-prompts-hint = One question per line. End it with * when an answer is required; add “| hint” for an example.
admin-suggested = Suggested attachments
admin-products-lead = Customers can say which product or service a ticket is about.
admin-product-name = Product or service
admin-product-new = New product or service
admin-product-edit = Edit product or service
admin-name-in = Name in { $language }
admin-names-hint = Customers and agents see the name in their language; where it is empty, the name above.
admin-hidden = (hidden)
admin-hide = Hide
admin-show = Show
admin-canned-title = Title
admin-canned-body = Text
admin-canned-new = New canned response
admin-canned-edit = Edit canned response
admin-all-departments = All departments
admin-helpdesk-name = Helpdesk name
admin-default-language = Default language
admin-max-file = Largest attachment (MB)
admin-max-message = All attachments of one message (MB)
admin-relays = Relay senders
admin-relays-hint = Addresses that send on behalf of others, such as a website's contact form (noreply@…). For mail from them, the customer is the Reply-To address. One per line.
admin-notifications = Mail Bilet sends
admin-notify-ack = Confirm new tickets to customers
admin-notify-replies = Mail agents' replies to customers
admin-notify-agents = Tell the assignee (or the department's agents) about customer messages
admin-webhooks = Webhooks
admin-webhooks-intro = Bilet posts each chosen change to the address as JSON, signed with the webhook's secret (header Bilet-Signature), one at a time and in order. A failing delivery is retried for a day; after three days of failures the webhook is disabled and admins are told.
admin-webhooks-empty = No webhooks yet.
admin-webhook-new = New webhook
admin-webhook-url = Address
admin-webhook-events = Events
admin-webhook-event = Event
admin-webhook-event-ticket-created = a ticket was opened
admin-webhook-event-message-added = a message was added (notes included)
admin-webhook-event-status-changed = the status changed
admin-webhook-event-ticket-assigned = the assignee changed
admin-webhook-event-ticket-transferred = moved to another department
admin-webhook-event-ticket-escalated = a service-level target was missed
admin-webhook-event-ticket-rated = the customer rated
admin-webhook-department = Department
admin-webhook-all-departments = All departments
admin-webhook-allow-private = Allow private addresses
admin-webhook-allow-private-hint = Only for a receiver on this machine or your own network: without it, loopback, private and link-local addresses are refused.
admin-webhook-created = Webhook for { $url } created
admin-webhook-secret-once = Its signing secret, shown this once; keep it with the receiver:
admin-webhook-waiting = Waiting
admin-webhook-dead-n = { $n ->
    [one] { $n } failed
   *[other] { $n } failed
}
admin-webhook-failing = Failing
admin-webhook-failing-since = failing since { $when }
admin-webhook-disabled-gone = : the receiver answered 410 Gone.
admin-webhook-disabled-failing = : deliveries failed for three days.
admin-webhook-enable = Enable again
admin-webhook-remove = Remove webhook
admin-webhook-remove-question = Remove the webhook for { $url }? Nothing more is sent to it; its history is kept for a while.
admin-webhook-history = Deliveries
admin-webhook-history-empty = Nothing sent yet.
admin-webhook-ticket = Ticket
admin-webhook-answer = Answer
admin-webhook-when = Last try
admin-webhook-next = Next try
admin-webhook-next-now = now
admin-webhook-not-tried = not tried yet
admin-webhook-resend = Send again
admin-webhook-status-pending = waiting
admin-webhook-status-sent = sent
admin-webhook-status-dead = failed
admin-webhook-attempts = { $n ->
    [one] { $n } try
   *[other] { $n } tries
}
admin-tokens = API tokens
admin-tokens-intro = A token lets a program use the REST API as a staff member, or as its own identity, narrowed to departments and, if you like, to reading.
admin-tokens-docs = API reference
admin-tokens-empty = No tokens yet.
admin-token-new = New token
admin-token-name = Name
admin-token-user = Acts as (staff address)
admin-token-user-hint = Leave empty to give the token an identity of its own, shown as “name (API)”.
admin-token-departments = Departments
admin-token-departments-hint = Choose none to reach every department the identity reaches.
admin-token-level-none = Not narrowed to it
admin-token-read-only = Read only
admin-token-acts-as = Acts as
admin-token-reach = Reach
admin-token-last-use = Last use
admin-token-never-used = never
admin-token-created = Token { $name } created
admin-token-once = The token, shown this once; keep it safe:
admin-token-revoke = Revoke
admin-token-revoke-question = Revoke the token { $name }? Programs using it stop working at once.
admin-mailboxes = Mailboxes
admin-mail = Mail needing attention
admin-mail-lead = Mail that could not be processed (kept with its error, and retried), and mail held for the reason shown beside it: marked as spam, from a blocked sender, from staff without access, or past a limit. Letting a mail through files it, unless the rule that held it still applies.
admin-mail-empty = Nothing needs attention.
admin-download = Download
admin-retry = Retry
admin-release = Let it through
raw-quarantined = Quarantined
raw-held = Held
admin-mailboxes-empty = No mailboxes yet. Without one, tickets come only from the portal.
admin-mailbox-new = New mailbox
admin-test-of = Connection test of { $name }
admin-test-connection = Test connection
admin-last-poll = Last check
admin-host = Server
admin-port = Port
admin-tls = Security
tls-tls = TLS
tls-starttls = STARTTLS
tls-none = None (only on a trusted network)
admin-user = User name
admin-folder = Folder
admin-processed-folder = Move processed mail to
admin-processed-folder-hint = Empty: processed mail stays where it is and is marked read.
admin-mailbox-addresses = Addresses this mailbox receives (one per line)
admin-default-department = Department for mail that names none
admin-existing-mail = Mail already in the folder
admin-existing-skip = Start with new mail only
admin-existing-import = Import it as tickets, without acknowledgements
admin-rules = Routing rules
admin-rules-lead = Checked first, in order; then the department addresses in To, Cc and the envelope; then the mailbox's department.
admin-rule-kind = Rule
admin-rule-pattern = Value
rule-sender_domain = Sender's domain is
rule-subject_contains = Subject contains
error-required = This is required.
label-name = Name
admin-mailbox-name = Name
admin-when = When
admin-who = Who
admin-what = What
admin-details = Details
create = Create
delete = Delete
cancel = Cancel
confirm-delete-title = Delete for good?
confirm-delete-topic = The help topic is deleted for good; tickets filed under it keep their answers.
confirm-delete-canned = The canned response is deleted for good, for every agent.
confirm-merge-title = Merge the tickets?
confirm-merge-question = The whole conversation of #{ $from } moves into #{ $into }, and #{ $from } closes for good. This cannot be undone.
yes = Yes
no = No

## Dates and numbers

fmt-date = { $month } { $day }, { $year }
fmt-time = { $hour12 }:{ $minute } { $ampm }
fmt-datetime = { $date }, { $time }
fmt-am = AM
fmt-pm = PM
fmt-month-1 = Jan
fmt-month-2 = Feb
fmt-month-3 = Mar
fmt-month-4 = Apr
fmt-month-5 = May
fmt-month-6 = Jun
fmt-month-7 = Jul
fmt-month-8 = Aug
fmt-month-9 = Sep
fmt-month-10 = Oct
fmt-month-11 = Nov
fmt-month-12 = Dec
fmt-group-separator = ,
fmt-decimal-separator = .
fmt-bytes = { $n } B
fmt-kb = { $n } KB
fmt-mb = { $n } MB
fmt-gb = { $n } GB
rel-just-now = just now
rel-minutes-ago = { $n ->
    [one] { $n } minute ago
   *[other] { $n } minutes ago
}
rel-hours-ago = { $n ->
    [one] { $n } hour ago
   *[other] { $n } hours ago
}
rel-days-ago = { $n ->
    [one] { $n } day ago
   *[other] { $n } days ago
}

bulk-summary = { $done } of { $total } changed
bulk-select-first = Select tickets first.
bulk-choose-action = Choose what to do with the selected tickets.
bulk-refused-not-found = no such ticket within your reach
bulk-refused-forbidden = you may read it but not change it
bulk-refused-stale = changed since this list was shown; look at it again
bulk-refused-unchanged = already so
bulk-refused-assignee = { $name } does not work in { $department }
bulk-refused-other = not changed
notice-already-closed = The ticket is already closed.
notice-not-resolved = Only a resolved or closed ticket can be rated as a whole.
notice-split-last-message = A ticket's only message cannot be split off.
notice-merged-away = This ticket was merged into another one; work on that one.
notice-reopen-window-passed = The ticket was closed too long ago to reopen.
notice-own-account = You cannot disable your own account.
stale-live = This ticket changed while you were looking at it.
stale-reload = Show the new state

mail-verify-subject = Confirm your address for the helpdesk
mail-verify-intro = Someone, hopefully you, opened a helpdesk account with this address. Open this link within two days to confirm it; tickets you opened by email then show up in your account:
mail-verify-button = Confirm my address
mail-verify-ignore = If it was not you, ignore this message: the account cannot see your mail.
verify-title = Confirm your address
verify-lead = Confirm { $email } as your address. Tickets opened or answered by mail from it then show up in your account.
verify-submit = Confirm
verify-unconfirmed = Your address is not confirmed yet: tickets you opened by email stay hidden here until you open the link we sent you.
verify-resend = Send the link again
notice-address-confirmed = Your address is confirmed.
notice-verify-sent = A confirmation link is on its way. Check your mail.
notice-verify-expired = That confirmation link has expired. Sign in and ask for a new one.

spam-block = Spam: close and block sender
spam-hint = Closes the ticket; later mail from { $email } is kept for an admin, never filed.
notice-spam-blocked = The ticket is closed and its sender blocked.
admin-blocked-title = Blocked senders
admin-blocked-empty = No sender is blocked.
admin-unblock = Unblock
notice-unblocked = The sender may write again.
notice-mail-done = That mail was filed already.

remote-image-blocked = [remote image blocked]
remote-images-load = Load remote images
remote-images-warning = The sender's servers will see that this mail was opened, and from where.

delivery-attempts = { $n ->
    [one] { $n } attempt
   *[other] { $n } attempts
}

# Mail texts per department and language (admin console)
admin-mail-texts = Mail texts
admin-mail-texts-link-hint = The acknowledgement, the reply, the resolved mail and the password mail, in each language.
admin-mail-texts-intro = What customers of { $department } get by mail. A text nobody changed is the shipped one and follows Bilet's updates.
admin-mail-text-mail = Mail
admin-mail-text-edit = Edit
admin-mail-text-default = Default
admin-mail-text-customised = Customised
admin-mail-text-default-hint = This department sends the shipped text. Saving a change gives it a text of its own.
admin-mail-text-customised-hint = This department sends its own text. "Reset to default" goes back to the shipped one.
admin-mail-text-kind-acknowledgement = Acknowledgement of a new ticket
admin-mail-text-kind-claim = Password link for customers who wrote by mail
admin-mail-text-when-acknowledgement = Sent when a customer opens a ticket, by mail or in the portal, unless acknowledgements are switched off in Settings.
admin-mail-text-when-claim = Sent when someone who has only written by mail asks to set a password; the link is valid for a day. They get the text of the department of their latest ticket.
admin-mail-text-subject = Subject
admin-mail-text-subject-tag-hint = The ticket tag, such as [#1042], is always put in front, so that answers find their ticket.
admin-mail-text-body = Text
admin-mail-text-body-hint = A blank line starts a new paragraph. The HTML part of the mail is made from this text, with clickable links.
admin-mail-text-preview = Preview
admin-mail-text-preview-title = Preview
admin-mail-text-preview-hint = Filled with sample values. Nothing is saved yet.
admin-mail-text-preview-plain = Plain text
admin-mail-text-preview-html = HTML
admin-mail-text-reset = Reset to default
admin-mail-text-reset-title = Reset to the default text?
admin-mail-text-reset-question = { $department } stops sending its own text of "{ $mail }" and sends the shipped one again. Its own text is deleted.
admin-mail-text-shipped = The shipped text
notice-mail-text-reset = The shipped text is sent again.
mail-text-sample-customer = Olga Ivanova
mail-text-sample-subject = The printer does not print
mail-text-placeholders-acknowledgement = customer.name, department.name, ticket.number, ticket.subject, ticket.link
mail-text-placeholders-claim = customer.name, department.name, claim.link
mail-text-placeholders-reply = reply.body, customer.name, agent.name, department.name, ticket.number, ticket.subject, ticket.link
mail-text-placeholders-resolved = customer.name, department.name, ticket.number, ticket.subject, ticket.link, rating.links
mail-text-placeholders-subject = customer.name, department.name, ticket.number, ticket.subject
mail-text-placeholders-subject-reply = customer.name, agent.name, department.name, ticket.number, ticket.subject
mail-text-placeholders-subject-claim = customer.name, department.name
mail-text-sample-agent = Anna Smirnova
mail-text-sample-reply = We have restarted the print server. Please try again and tell us whether it works.
error-mail-text-reply-required = The text must contain { $name }: it stands for the agent's words and signature.
admin-mail-text-kind-reply = Agent's reply
admin-mail-text-kind-resolved = Ticket resolved, with rating links
admin-mail-text-when-reply = Sent with every answer an agent writes to the customer. {"{{reply.body}}"} is the agent's text with their signature.
admin-mail-text-when-resolved = Sent when an agent resolves a ticket. {"{{rating.links}}"} stands for the five links that rate the answer without signing in.
error-mail-text-required = Write something here.
error-mail-text-too-long = At most { $n } characters.
error-mail-text-placeholder = { $name } is not a placeholder of this mail. Use { $list }, each in double braces.
error-mail-text-link-required = The text must contain { $name }: without it the mail is of no use.

## Audit log (admin)
audit-filters = Filter the audit log
audit-filter-person = Person
audit-filter-kind = What happened
audit-filter-from = From
audit-filter-to = To
audit-filter-submit = Show
audit-filter-clear = Clear filters
audit-anyone = Anyone
audit-by-bilet = Bilet itself (automatic)
audit-any-kind = Anything
audit-empty = Nothing has been recorded yet.
audit-empty-filtered = No entries match these filters.
audit-newest = Newest
audit-older = Older entries
audit-deleted-ticket = a deleted ticket
audit-unknown-name = (name not recorded)
audit-value-empty = (none)
audit-change = { $field } { $old } → { $new }
audit-change-set = { $field }: { $new }
audit-changed = { $actor } changed { $object }: { $changes }
audit-edited = { $actor } edited { $object }
audit-object-settings = Settings
audit-object-department = the department { $name }
audit-object-account = the account of { $name }
audit-object-topic = the help topic { $name }
audit-object-canned = the canned response { $name }
audit-field-helpdesk-name = helpdesk name
audit-field-default-language = default language
audit-field-max-file = largest attachment
audit-field-max-message = all attachments of a message
audit-field-name = name
audit-field-person-name = name
audit-field-slug = short name
audit-field-addresses = addresses
audit-field-customer-visible = shown to customers
audit-field-role = role
audit-field-grants = departments
audit-field-title = title
audit-department-created = { $actor } created the department { $name }
audit-topic-created = { $actor } created the help topic { $name }
audit-topic-deleted = { $actor } deleted the help topic { $name }
audit-product-created = { $actor } added the product or service { $name }
audit-product-shown = { $actor } showed { $name } in the portal again
audit-product-hidden = { $actor } hid { $name } from the portal
audit-canned-created = { $actor } created the canned response { $name }
audit-canned-deleted = { $actor } deleted the canned response { $name }
audit-mailbox-created = { $actor } added the mailbox { $name } ({ $server })
audit-rule-sender-domain = mail from { $pattern }
audit-rule-subject-contains = mail with “{ $pattern }” in the subject
audit-mail-rule-created = { $actor } added a routing rule: { $rule } → { $department }
audit-mail-rule-deleted = { $actor } deleted a routing rule
audit-mail-sender-unblocked = { $actor } unblocked the sender { $address }
audit-mail-text-saved = { $actor } changed the mail “{ $mail }” of { $department } ({ $language })
audit-mail-text-reset = { $actor } reset the mail “{ $mail }” of { $department } ({ $language }) to the shipped text
audit-ticket-opened = { $actor } opened { $ticket }
audit-ticket-opened-via = { $actor } opened { $ticket } { $via }
audit-via-web = in the portal
audit-via-email = by email
audit-via-agent = for a customer
audit-via-api = through the API
audit-ticket-merged = { $actor } merged { $ticket } into { $into }
audit-ticket-split = { $actor } split a message off { $ticket } into { $into }
audit-ticket-transferred = { $actor } moved { $ticket } from { $from } to { $to }
audit-account-registered = { $actor } registered with { $email }
audit-account-address-confirmed = { $actor } confirmed the address { $email }
audit-account-created = { $actor } created the account of { $name } ({ $email }, { $role })
audit-account-password-changed = { $actor } changed their password
audit-account-claimed = { $actor } set a password for the account they had by mail
audit-staff-disabled = { $actor } disabled the account of { $name }
audit-staff-enabled = { $actor } enabled the account of { $name } again
audit-staff-password-reset = { $actor } reset the password of { $name }
audit-generic = { $actor }: { $what }
audit-generic-ticket = { $actor }: { $what }, { $ticket }
audit-kind-account-address-confirmed = Address confirmed
audit-kind-account-claimed = Password set for a mail-only account
audit-kind-account-created = Account created
audit-kind-account-password-changed = Password changed
audit-kind-account-registered = Customer registered
audit-kind-canned-created = Canned response created
audit-kind-canned-deleted = Canned response deleted
audit-kind-canned-updated = Canned response edited
audit-kind-department-created = Department created
audit-kind-department-updated = Department edited
audit-kind-mail-sender-unblocked = Sender unblocked
audit-kind-mail-rule-created = Routing rule added
audit-kind-mail-rule-deleted = Routing rule deleted
audit-kind-mail-text-reset = Mail text reset to the shipped one
audit-kind-mail-text-saved = Mail text changed
audit-kind-mailbox-created = Mailbox added
audit-kind-product-created = Product added
audit-kind-product-hidden = Product hidden
audit-kind-product-shown = Product shown
audit-kind-settings-changed = Settings changed
audit-kind-staff-disabled = Account disabled
audit-kind-staff-enabled = Account enabled
audit-kind-staff-password-reset = Password reset by an admin
audit-kind-staff-updated = Staff member edited
audit-kind-ticket-merged = Ticket merged
audit-kind-ticket-opened = Ticket opened
audit-kind-ticket-split = Ticket split
audit-kind-ticket-transferred = Ticket moved to another department
audit-kind-topic-created = Help topic created
audit-kind-topic-deleted = Help topic deleted
audit-kind-topic-updated = Help topic edited

## Mailbox connection check and failing outgoing mail (admin)
mail-problem-host-not-found = The server name { $name } was not found. Check the spelling.
mail-problem-refused = { $name } refused the connection. Check the port, and that the server takes connections on it.
mail-problem-timeout = { $name } did not answer in time. Check the server name and the port, and that no firewall is in the way.
mail-problem-tls = No secure connection to { $name } could be set up. Check that the encryption setting fits the port (IMAP: TLS on 993, STARTTLS on 143; SMTP: TLS on 465, STARTTLS on 587).
mail-problem-login-refused = { $name } refused the user name or password.
mail-problem-folder-missing = This mailbox has no folder “{ $name }”. Check the spelling; INBOX is the usual one.
mail-problem-not-configured = No mail server is set up to send this: add a mailbox for its department, or set mail.smtp in the configuration.
mail-problem-rejected = { $name } refused this mail.
mail-problem-other = Talking to { $name } failed; the technical details say why.
error-department-from-address = No department has any of these addresses. Choose the department.
admin-department-from-address = — from the mailbox's address —
admin-department-from-address-hint = Left on "from the mailbox's address", the department whose address this mailbox receives is chosen.
admin-mailbox-check-hint = Before saving, Bilet signs in to the IMAP server to check the settings (for at most 10 seconds).
admin-mailbox-unreachable = Bilet could not sign in to this mailbox, so it is not saved yet. Correct the settings and check again, or save it anyway: every check of the mailbox then tries again, and the list shows what goes wrong.
admin-mailbox-check-again = Check and create
admin-mailbox-save-anyway = Save anyway
admin-mailbox-save-anyway-hint = "Save anyway" saves the mailbox as typed, without a working connection. Once the server is reachable, use "Test connection" in the list.
admin-password-kept = The password you typed is kept. Type it again only to change it.
admin-error-detail = Technical details
admin-test-imap-ok = Signed in; the folder { $name } holds { $n ->
    [one] one message
   *[other] { $n } messages
}.
admin-test-smtp-ok = The server answered.
admin-incoming-title = Incoming mail
admin-outgoing-title = Outgoing mail that is failing
admin-outgoing-lead = Replies and notices the mail server has not taken yet (tried again with growing pauses), or that were given up. Fix the cause, then retry.
admin-outgoing-empty = All outgoing mail is going out.
admin-outgoing-more = The newest { $shown } of { $total }.
admin-outgoing-ticket = Ticket
admin-outgoing-to = To
admin-outgoing-attempts = Attempts
admin-outgoing-next = Next try
admin-outgoing-error = Last error
admin-outgoing-given-up = Given up
admin-outgoing-retry = Retry now
admin-outgoing-no-error = Waiting for its next try.
notice-outgoing-retry = The mail is due again; it goes out at the sender's next round.

## Search
search-label = Search tickets
search-placeholder = Words, "a phrase", from:, agent:, dept:, status:, after:, #123
search-hint = Word forms match: “server” finds “servers”. Operators: from: agent: dept: subject: status: priority: after:2026-11-01 before: has:attachment #123, -word to exclude.
search-found = { $n ->
    [one] { $count } ticket found
   *[other] { $count } tickets found
}
search-rebuilding = The search index is being rebuilt: some tickets may be missing from the results for a few minutes.
search-advanced = Advanced search
search-adv-content = Words in the messages
search-adv-subject = Subject
search-adv-requester = Requester (name or address)
search-adv-agent = Agent
search-adv-department = Department
search-adv-after = Created from
search-adv-before = Created before
search-problem-too-long = The search was cut to its first { $n } characters.
search-problem-quote = A quote was not closed: the rest was searched as a phrase.
search-problem-status = “{ $value }” is not a status; use open, pending, resolved or closed.
search-problem-priority = “{ $value }” is not a priority; use low, normal, high or urgent.
search-problem-has = “has:{ $value }” is not known; use has:attachment.
search-problem-date = “{ $value }” is not a date; use 2026-11-30 or 30.11.2026.
search-problem-too-many = The search has too many words: { $n } were left out.
search-problem-exclude = Only words and phrases can be excluded with “-”.
search-problem-date-range = The “after” date is not before the “before” date, so nothing can match.
search-problem-department = No department is called “{ $value }”.
sort-relevance = Best match first
workspace-save-open = Save this search as a workspace
time-zone-filter = Find a time zone: city, region or offset

## service levels and escalation
span-minutes = { $n } min
span-hours = { $n } h
span-days = { $n } d
sla-due-in = due in { $span }
sla-overdue-by = overdue by { $span }
sla-heading = Service level
sla-paused = Paused while waiting on the customer.
sla-target-first_response = First response
sla-target-next_response = Next response
sla-target-resolution = Resolution
queue-sla = Due
filter-overdue = Only overdue tickets
sort-due_soonest = Due soonest (tickets with a due time)
workspace-overdue = Overdue
queue-empty-overdue = No ticket is overdue. Tickets past a service-level due time wait here, the most overdue first.
event-sla-warning = Service level: { $target } is due soon; the managers were told
event-sla-breach = Service level: { $target } is overdue; the managers were told
mail-sla-warning-subject = Due soon: { $target } — “{ $subject }”
mail-sla-warning = Ticket #{ $number } “{ $subject }” ({ $department }). { $target }: due at { $due }, { $when }.
mail-sla-breach-subject = Overdue: { $target } — “{ $subject }”
mail-sla-breach = Ticket #{ $number } “{ $subject }” ({ $department }). { $target }: was due at { $due }, { $when }.
nav-notifications = Alerts
bell-title = Alerts
bell-unread = { $n ->
    [one] { $n } unread alert.
   *[other] { $n } unread alerts.
}
bell-read-all = Mark all read
bell-empty = No alerts. When a ticket of a department you manage nears or passes its due time, you are told here and by mail.
bell-new = New
bell-sla-warning = #{ $number } “{ $subject }”: { $target } due soon
bell-webhook-disabled = Webhook { $url } was disabled: { $reason }
bell-webhook-reason-gone = the receiver answered 410 Gone
bell-webhook-reason-failing = deliveries failed for three days
bell-sla-breach = #{ $number } “{ $subject }”: { $target } overdue
notice-notifications-read = All alerts are marked read.

## statistics
nav-statistics = Statistics
stats-title = Statistics
stats-from = From
stats-to = To
stats-department = Department
stats-all-departments = All my departments
stats-per = Trend per
stats-per-day = Day
stats-per-week = Week
stats-show = Show
stats-csv = Download CSV
stats-zone-note = Days are cut in the helpdesk's time zone, { $zone }. Durations run from the ticket's creation; business time counts the department's working hours.
stats-summary = Totals for the range
stats-handled = Tickets handled
stats-replies = Replies sent
stats-median-first-response = Median first response
stats-median-resolution = Median resolution
stats-compliance = SLA met
stats-sla-counts = { $met } of { $total } targets met
stats-rating-average = Average rating
stats-rated = { $n ->
    [one] { $n } rating
   *[other] { $n } ratings
}
stats-ratings = Ratings
stats-stars = { $n ->
    [one] { $n } star
   *[other] { $n } stars
}
stats-trend = Trend
stats-trend-daily = Tickets handled and replies sent per day
stats-trend-weekly = Tickets handled and replies sent per week
stats-numbers = The numbers behind the chart
stats-day = Day
stats-week-of = Week of
stats-by-department = By department
stats-by-agent = By agent
stats-first-response-wall = First response, wall time
stats-first-response-business = First response, business time
stats-resolution-wall = Resolution, wall time
stats-resolution-business = Resolution, business time
stats-median = Median
stats-average = Average
stats-p90 = 90th percentile
stats-distribution = Ratings by stars
stats-comments = Recent comments
stats-no-comments = No rating with a comment in this range.
stats-empty = Nothing in this range yet. Pick a longer range or another department.
stats-nobody = Nobody assigned
stats-minutes = { $m } min
stats-hours = { $h } h { $m } min
stats-days = { $d } d { $h } h
stats-error-range = Choose a range of at most two years.

## sla console and rating links
error-calendar-no-hours = Give at least one working period, for example mon-fri 09:00-18:00.
error-zone-unknown = “{ $name }” is not a time zone. Use a name like Europe/Moscow.
error-hours-unreadable = “{ $name }” cannot be read. Write days and times like mon-fri 09:00-18:00; sat 10:00-14:00.
error-hours-empty-range = The period { $name } does not end after it starts.
error-hours-overlap = The working hours overlap on { $name }.
error-holiday-overlap = The holiday { $name } is listed more than once.
error-holiday-date = “{ $name }” is not a date. Write it as 2027-01-01.
error-calendar-name-taken = There is already a calendar with this name.
error-calendar-name-too-long = The name is too long: use at most { $n } characters.
error-calendar-unknown = There is no calendar named “{ $name }”.
error-target-empty = Enter a duration like 30m, 4h or 2d.
error-target-zero = A target of zero would always be missed. Enter a duration like 30m, 4h or 2d.
error-target-unreadable = “{ $name }” is not a duration. Use working minutes, hours or days: 30m, 4h, 2d.
error-target-too-large = “{ $name }” is too long: at most 365d, 10000h or 100000m.
error-manager-not-staff = { $name } is not a staff member. Managers must be agents or administrators.
error-breach-assignee-not-staff = { $name } is not a staff member. Tickets can only be assigned to agents or administrators.
error-breach-assignee-elsewhere = { $name } does not work in the department the ticket is in by then. Give them access to it, or choose someone else.
error-priority-unknown = “{ $name }” is not a priority. Use low, normal, high or urgent.
admin-department-managers = Managers
admin-department-managers-hint = Managers are told at once when a ticket of this department misses a target, and see its statistics. Staff only; choose one or more.
rate-link-title = Rate the answer to your ticket
rate-link-ticket = Ticket #{ $number }
rate-link-submit = Send my rating
rate-link-change = You can still change it: choose again and send.
rate-link-fixed = This rating can no longer be changed.
rate-link-not-resolved = This ticket is open again, so it cannot be rated now. You will be asked again when it is resolved.
rate-link-expired = This rating link has expired: rating links work for 30 days.
rate-link-invalid = This rating link is not valid. It may have been cut when copied, or replaced after a password change.
rate-link-sign-in = You can still rate the ticket after signing in:
rate-link-my-tickets = My tickets
mail-resolved-intro = your ticket #{ $number } has been resolved:
mail-resolved-rate = How did we do? Each link below opens a page where you confirm your rating and may add a comment:
mail-resolved-reopen = If the problem is not solved, simply reply to this email and the ticket opens again.

## sla admin pages
admin-sla = Service levels
admin-sla-lead = Due times for each department and priority. They count the working hours of the department's calendar, or around the clock when it has none.
admin-sla-departments = Departments
admin-sla-calendar = Calendar
admin-sla-always = 24/7
admin-sla-priority = Priority
admin-sla-any-priority = Any priority
admin-sla-warn-before = Warn before
admin-sla-on-breach = On a breach
admin-sla-no-targets = No targets: tickets of this department have no due times.
admin-sla-breach-raise = Raise the priority to { $name }
admin-sla-breach-assign = Assign to { $name }
admin-sla-breach-move = Move to { $name }
admin-sla-edit-targets = Edit the service levels of { $name }
admin-sla-calendars = Calendars
admin-sla-calendars-empty = No calendars yet: every department counts time around the clock.
admin-sla-calendar-new = New calendar
admin-sla-calendar-edit = Edit calendar
admin-sla-calendar-name = Name
admin-sla-zone = Time zone
admin-sla-zone-hint = A name from the time zone database, such as Europe/Moscow or America/New_York.
admin-sla-hours = Working hours
admin-sla-hours-hint = Days (mon, tue, wed, thu, fri, sat, sun) and times; separate periods with a semicolon: mon-fri 09:00-18:00; sat 10:00-14:00
admin-sla-holidays = Holidays
admin-sla-holidays-hint = One date per line, written as 2027-01-01. No working time passes on these days.
admin-sla-holidays-count = { $n ->
    [one] { $n } holiday
   *[other] { $n } holidays
}
admin-sla-used-by = Used by the departments: { $list }
admin-sla-unused = No department uses this calendar yet.
admin-sla-department-title = Service levels of { $name }
admin-sla-calendar-none = none — 24/7
admin-sla-calendar-hint = Due times count only the working hours of this calendar; without one, around the clock.
admin-sla-targets = Targets
admin-sla-targets-hint = Working time such as 30m, 4h or 2d; leave a field empty for no target. A priority with nothing filled in follows “Any priority”.
admin-sla-breach-hint = When a target is missed, the department's managers are always told; the actions below happen as well.
admin-sla-raise = Raise the priority to
admin-sla-assign = Assign to
admin-sla-move = Move to department
admin-sla-action-none = — nothing —

## data protection
audit-kind-customer-exported = Customer data exported
message-erased = This message was erased at the customer's request.
customer-erased-name = Erased customer
audit-kind-customer-erased = Customer erased
audit-kind-ticket-erased = Customer's content erased from a ticket
admin-customers = Customers
admin-customers-intro = Find a customer by address to download everything Bilet holds about them or to erase them, as data-protection law lets them ask.
admin-customer-email = Address
admin-customer-find = Find
admin-customer-missing = No customer has the address { $email }. Staff accounts are managed under Staff.
admin-customer-addresses = Addresses
admin-customer-tickets = Tickets
admin-customer-since = Customer since
admin-customer-export = Their data
admin-customer-export-hint = One .tar file: their profile, each of their tickets as they see it (without internal notes) and every file attached there. The download is recorded in the audit log.
admin-customer-export-button = Download their data
admin-customer-erase = Erase this customer
admin-customer-erase-hint = Removes what they wrote and what was written to them, their files, raw mail, addresses and password. Their tickets stay as "Erased customer" for the statistics. This cannot be undone.
admin-customer-erase-title = Erase this customer for good?
admin-customer-erase-question = Everything { $email } wrote and was written on their { $tickets } tickets goes, with their files, raw mail, addresses and password. The tickets stay under "Erased customer". This cannot be undone.
notice-customer-erased = The customer was erased.
mail-webhook-disabled-subject = Webhook switched off: { $url }
mail-webhook-disabled = Bilet stopped sending events to { $url }: { $reason }.
mail-webhook-disabled-next = Changes made while it is off are not sent to it; the API's event feed (GET /api/v1/events) keeps them for the journal's retention. Once the receiver works again, open the webhook and choose "Enable again":
