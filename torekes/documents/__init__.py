"""What the service prints and exports for people, shared by the API and the pages: QR images,
printable claim-code sheets and member cards, and reports as CSV.
"""
