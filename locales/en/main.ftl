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
error-invalid = The form could not be read. Go back and try again.
error-internal = Something went wrong on our side. Please try again in a moment.
error-csrf = This form has expired or did not come from this site. Go back, reload the page and send it again.
error-too-large = What you sent is too large.
error-request-id = If it keeps happening, tell support this reference: { $id }
error-go-home = Go to the start page
error-login-failed = The email address or password is wrong.
error-account-disabled = This account is disabled. Contact the helpdesk team.
error-email-invalid = Enter an email address like name@example.com.
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
password-title = Change password
password-must-change = You signed in with a one-time password. Choose your own password to continue.
password-other-sessions-end = Changing the password signs you out on every other device.
password-submit = Change password
sessions-title = Where you are signed in
sessions-this-one = This device
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
