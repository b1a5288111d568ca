"""An aiosmtpd handler that hands every accepted mail to Dovecot's LMTP
listener, so that a test reads what Bilet sent over IMAP, as the recipient
would. Usage: python -m aiosmtpd -n -l 127.0.0.1:PORT -c lmtp_relay.LmtpRelay LMTPPORT"""

import smtplib


class LmtpRelay:
    def __init__(self, lmtp_port):
        self.lmtp_port = int(lmtp_port)

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(*args)

    async def handle_DATA(self, server, session, envelope):
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            lmtp.sendmail(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
        return "250 OK"
